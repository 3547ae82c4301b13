package org.pgbackfill.extract;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.pgbackfill.testing.ChatMessageComparison;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.ExactJson;
import org.pgbackfill.testing.ExpectedChatRejection;
import org.pgbackfill.testing.ExpectedMessageRejection;
import org.pgbackfill.testing.ExpectedReason;
import org.pgbackfill.testing.ExpectedRow;
import org.pgbackfill.testing.ReferenceExtractor;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Every fixture of the edge-case corpus, extracted by the production extractor (both its
 * one-pass and its two-pass reading) and by the independent reference; they must agree exactly.
 * Fast and without a database, so a disagreement points straight at one small document.
 */
class CorpusExtractionTest {
    static final long NOW = EdgeCaseCorpus.DEFAULT_NOW;

    @TestFactory
    Stream<DynamicTest> productionMatchesReference() {
        return EdgeCaseCorpus.cases(NOW).stream().flatMap(c -> Stream.of(Integer.MAX_VALUE, 0).map(limit ->
            DynamicTest.dynamicTest(c.fixture().name() + (limit == 0 ? " (two-pass)" : ""), () -> {
                var f = c.fixture();
                if (f.document() == null) return;   // SQL NULL never reaches the extractor
                ReferenceExtractor.Result expected = ReferenceExtractor.extract(f.chatId(), f.userId(), f.document(), NOW);
                Collected actual = new Collected();
                new MessageExtractor(NOW, limit).extract(f.chatId(), f.userId(),
                    DocumentSource.of(f.document().getBytes(StandardCharsets.UTF_8)), actual);

                Map<String, ExpectedRow> expectedRows = new LinkedHashMap<>();
                expected.rows().forEach(r -> expectedRows.put(r.id(), r));
                Map<String, ExpectedRow> actualRows = new LinkedHashMap<>();
                for (MessageRow r : actual.rows) actualRows.put(r.id, toExpected(r));
                List<String> diffs = new ArrayList<>(ChatMessageComparison.differences(expectedRows, actualRows));
                diffs.addAll(ChatMessageComparison.rejectionDifferences(expected.messageRejections(),
                    actual.rejected.stream().map(r -> new ExpectedMessageRejection(r.chatId(), r.key(),
                        ExpectedReason.valueOf(r.reason().name()), null)).toList()));
                diffs.addAll(ChatMessageComparison.chatRejectionDifferences(
                    expected.chatRejection().map(reason -> List.of(new ExpectedChatRejection(f.chatId(), reason))).orElse(List.of()),
                    actual.rejectedChats.stream().map(r -> new ExpectedChatRejection(r.chatId(), ExpectedReason.valueOf(r.reason().name()))).toList()));
                ChatMessageComparison.assertNoDifferences(f.name() + ": " + f.document(), diffs);
            })));
    }

    static ExpectedRow toExpected(MessageRow r) throws Exception {
        return new ExpectedRow(r.id, r.chatId, r.userId, r.role, r.parentId,
            json(r, 0), json(r, 1), r.modelId, json(r, 2), json(r, 3), json(r, 4), r.done,
            json(r, 5), json(r, 6), json(r, 7), r.createdAt, r.createdAt);
    }

    private static com.fasterxml.jackson.databind.JsonNode json(MessageRow r, int c) throws Exception {
        return ExactJson.parse(r.json(c));
    }
}
