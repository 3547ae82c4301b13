package org.pgbackfill.job.currentmessage;

import org.junit.jupiter.api.Test;
import org.pgbackfill.extract.DocumentSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** The production rule against the independent {@link ReferenceRule}, on a large random corpus, plus pinned cases. */
class CurrentMessageRuleTest {
    static final int CORPUS = 40_000;

    static String production(Corpus.Case c) throws IOException {
        DocumentFacts facts = DocumentFacts.read(c.document() == null ? null
            : DocumentSource.of(c.document().getBytes(StandardCharsets.UTF_8)));
        CurrentMessageOutcome o = CurrentMessageRule.decide(c.chatId(), c.current(), facts, c.chatMessageRows());
        if (o instanceof CurrentMessageOutcome.Write w) return "write:" + w.value();
        if (o instanceof CurrentMessageOutcome.Rejected r) return "rejected:" + r.reason();
        return "unchanged";
    }

    @Test
    void matchesTheIndependentReferenceOnARandomCorpus() throws IOException {
        long t0 = System.nanoTime();
        List<Corpus.Case> cases = new Corpus(20260723L).cases(CORPUS);
        Map<String, Integer> tally = new TreeMap<>();
        List<String> mismatches = new ArrayList<>();
        for (Corpus.Case c : cases) {
            String got = production(c), want = ReferenceRule.decide(c);
            tally.merge(want.startsWith("write:") ? "write" : want, 1, Integer::sum);
            if (!got.equals(want) && mismatches.size() < 10) mismatches.add(c + "\n  production " + got + "\n  reference  " + want);
        }
        System.out.printf("current_message_id reference: %d cases in %d ms, outcomes %s%n",
            cases.size(), (System.nanoTime() - t0) / 1_000_000, tally);
        if (!mismatches.isEmpty()) fail(String.join("\n", mismatches));
        // the corpus must reach every outcome, or the comparison proves little
        for (String k : List.of("write", "unchanged", "rejected:DOCUMENT_INVALID_JSON", "rejected:DOCUMENT_NESTING_TOO_DEEP",
                "rejected:DOCUMENT_INTEGER_TOO_LONG", "rejected:INNER_NESTING_TOO_DEEP", "rejected:UNHASHABLE_MESSAGE_ID",
                "rejected:CANDIDATE_NOT_SENDABLE", "rejected:UNHASHABLE_PARENT_ID", "rejected:UNORDERABLE_TIMES",
                "rejected:VALUE_NOT_SENDABLE")) {
            if (tally.getOrDefault(k, 0) < 5) fail("the corpus reaches " + k + " only " + tally.getOrDefault(k, 0) + " times");
        }
    }

    private static String decide(String chat, String current, String doc, Corpus.Row... rows) throws IOException {
        return production(new Corpus.Case(chat, current, doc, List.of(rows)));
    }

    @Test
    void pinnedCases() throws IOException {
        // step 3 beats everything; the column's own value is the first candidate
        assertEquals("unchanged", decide("c", "m2", "{\"history\":{\"currentId\":\"m1\"}}",
            new Corpus.Row("c-m1", null, 5L), new Corpus.Row("c-m2", null, 1L)));
        assertEquals("write:m1", decide("c", null, "{\"history\":{\"currentId\":\"c-m1\"}}",
            new Corpus.Row("c-m1", null, 1L), new Corpus.Row("c-m2", null, 9L)));
        // step 4: latest leaf, ties to the first row; a cycle with no leaf takes every message
        assertEquals("write:b", decide("c", null, null, new Corpus.Row("c-a", null, 3L), new Corpus.Row("c-b", "c-a", 3L),
            new Corpus.Row("c-d", "a", 3L)));
        assertEquals("write:a", decide("c", null, null, new Corpus.Row("c-a", "b", 1L), new Corpus.Row("c-b", "a", 1L)));
        // "<chat>-" as candidate becomes "": found first among the keys, so the leaf decides, not "m1"
        assertEquals("write:m2", decide("c", null,
            "{\"history\":{\"currentId\":\"c-\",\"messages\":{\"\":{},\"m1\":{\"timestamp\":1},\"m2\":{\"timestamp\":2}}},\"currentId\":\"m1\"}"));
        // NaN ids are one key (json.loads returns one NaN object); a number key is written as PostgreSQL prints it
        assertEquals("write:z", decide("c", null, "{\"messages\":[{\"id\":NaN,\"timestamp\":5},{\"id\":\"z\",\"parentId\":NaN,\"timestamp\":1}]}"));
        assertEquals("write:NaN", decide("c", null, "{\"messages\":[{\"id\":NaN,\"timestamp\":1},{\"id\":\"z\",\"timestamp\":3},{\"id\":NaN,\"timestamp\":4}]}"));
        assertEquals("write:100000000000000000000", decide("c", null, "{\"messages\":[{\"id\":1e20}]}"));
        // 1 and true are one key: the first key object stays (True), the last element's time
        assertEquals("write:true", decide("c", null, "{\"messages\":[{\"id\":true},{\"id\":1,\"timestamp\":5},{\"id\":\"z\",\"timestamp\":4}]}"));
        // str vs int times cannot be ordered; a single leaf needs no comparison
        assertEquals("rejected:UNORDERABLE_TIMES", decide("c", null, "{\"history\":{\"messages\":{\"a\":{\"timestamp\":\"1\"},\"b\":{\"timestamp\":2}}}}"));
        assertEquals("write:b", decide("c", null, "{\"history\":{\"messages\":{\"a\":{\"timestamp\":\"1\"},\"b\":{\"parentId\":\"a\",\"timestamp\":2}}}}"));
        // rows win before the document's unhashable parent is ever hashed
        assertEquals("write:r", decide("c", null, "{\"history\":{\"messages\":{\"a\":{\"parentId\":[]}}}}", new Corpus.Row("c-r", null, null)));
        assertEquals("rejected:UNHASHABLE_PARENT_ID", decide("c", null, "{\"history\":{\"messages\":{\"a\":{\"parentId\":[]}}}}"));
        // an unhashable id aborts while reading, even when rows would decide
        assertEquals("rejected:UNHASHABLE_MESSAGE_ID", decide("c", null, "{\"messages\":[{\"id\":[1]}]}", new Corpus.Row("c-r", null, null)));
        // double-encoded: invalid inner is {}, too deep inner aborts
        assertEquals("unchanged", decide("c", null, Corpus.quote("{\"history\": ")));
        assertEquals("rejected:INNER_NESTING_TOO_DEEP", decide("c", null, Corpus.quote("[".repeat(3000) + "]".repeat(3000))));
        assertEquals("write:m1", decide("c", null, Corpus.quote("{\"history\":{\"messages\":{\"m1\":5}}}")));
        // duplicate keys: the last history wins
        assertEquals("write:y", decide("c", null, "{\"history\":{\"messages\":{\"x\":{}}},\"history\":{\"messages\":{\"y\":{}}}}"));
        // a NUL in a candidate breaks upstream's lookup
        assertEquals("rejected:CANDIDATE_NOT_SENDABLE", decide("c", null, "{\"currentId\":\"a\\u0000\"}", new Corpus.Row("c-r", null, null)));
    }
}
