package org.pgbackfill.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.ExactJson;
import org.pgbackfill.testing.MutatedDocuments;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;
import org.pgbackfill.testing.ReferenceExtractor;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole run over a few hundred damaged documents (the property test's mutations, stored as
 * PostgreSQL accepts them: as json when it is still valid json, otherwise as a JSON string holding
 * the damaged text, i.e. double-encoded): the run completes, with two workers and a tiny inline
 * limit (chunked reading and two-pass extraction), and every chat ends exactly as the independent
 * reference says: its rows landed, its messages or itself rejected, or nothing.
 */
class MangledDocumentsPipelineTest {
    static final long NOW = EdgeCaseCorpus.DEFAULT_NOW;
    static final int CHATS = 400;

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void aRunOverDamagedDocumentsCompletesAndAccountsForEveryChat() throws Exception {
        DatabaseUrl url = pg.createDatabase("mangled", "");
        Random random = new Random(4242);
        List<String> seeds = MutatedDocuments.seeds(NOW);
        int asJson = 0, doubleEncoded = 0;
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            for (int i = 0; asJson + doubleEncoded < CHATS; i++) {
                String id = String.format("mangled-%04d", i);
                String text = new String(MutatedDocuments.document(random, seeds), StandardCharsets.UTF_8);
                if (insertIfJudged(c, id, text)) asJson++;
                else if (insertIfJudged(c, id, ExactJson.quote(text))) doubleEncoded++;
            }
            assertTrue(asJson > CHATS / 5 && doubleEncoded > CHATS / 5, asJson + " as json, " + doubleEncoded + " double-encoded");
        }
        ReferenceBackfill.Expectation expected;
        try (Connection c = PostgresFixture.connect(url)) {
            expected = ReferenceBackfill.run(c, NOW);
        }
        RunReport report = new Backfill(BackfillPipelineTest.config(url, 2).inlineDocumentBytes(2048).build()).run();
        try (Connection c = PostgresFixture.connect(url)) {
            PipelineAssertions.assertFinishedRun(c, expected, "pgbackfill");
        }
        assertEquals(CHATS, report.chatsRead());
        assertEquals(expected.rows().size(), report.rowsWritten());
        assertEquals(expected.messageRejections().size() + expected.chatRejections().size(), report.rejectionCount());
        Set<String> rejectedChats = new HashSet<>();
        expected.chatRejections().forEach(r -> rejectedChats.add(r.chatId()));
        assertTrue(rejectedChats.size() > CHATS / 5, "chat rejections: " + rejectedChats.size());
        assertTrue(expected.rows().size() > CHATS / 5, "rows: " + expected.rows().size());
    }

    /**
     * Stores the text as the chat's json if PostgreSQL takes it and the reference can judge it
     * (not, for instance, an exponent of hundreds of digits, which its BigDecimal tree cannot hold).
     */
    private static boolean insertIfJudged(Connection c, String id, String text) {
        try {
            ReferenceExtractor.extract(id, "u1", text, NOW);
        } catch (RuntimeException tooOddForTheReference) {
            return false;
        }
        try {
            OpenWebUiDatabase.insertChat(c, id, "u1", text);
            return true;
        } catch (SQLException refused) {
            return false;   // not valid json for PostgreSQL (or a NUL it cannot store as text)
        }
    }
}
