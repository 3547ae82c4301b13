package org.pgbackfill.verify;

import org.pgbackfill.testing.VersionMatrix;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.Backfill;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.BackfillException;
import org.pgbackfill.seed.ChatSeeder;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Verifier} against a real PostgreSQL: silent on a correct backfill (the edge-case corpus
 * plus generated chats with edge cases), silent on a table written the way Open WebUI's Python
 * migration writes it, and loud, with the right chat, row and column, on each kind of damage.
 */
@VersionMatrix
class VerifierTest {
    static final long NOW = EdgeCaseCorpus.DEFAULT_NOW;

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    static DatabaseUrl backfilled;

    /** The corpus, 300 generated chats (a third with an edge case), five plain chats, backfilled. */
    @BeforeAll
    static void backfill() throws Exception {
        backfilled = pg.createDatabase("backfilled", "");
        try (Connection c = PostgresFixture.connect(backfilled)) {
            OpenWebUiDatabase.createSchema(c);
            new ChatSeeder(GeneratorOptions.builder().seed(11).chats(300).meanDocumentBytes(12 << 10).sizeSigma(1.2)
                .maxDocumentBytes(512 << 10).edgeCaseShare(0.35).epochBase(NOW).build()).seed(c);
            EdgeCaseCorpus.load(c, NOW);
            insertPlainChats(c);
        }
        new Backfill(BackfillConfig.builder().database(backfilled).workers(2).nowEpoch(NOW).build()).run();
    }

    /** Chats plain-0 … plain-4 with three messages each: m0 (user), m1 (assistant), m2 (user, no timestamp). */
    static void insertPlainChats(Connection c) throws SQLException {
        for (int i = 0; i < 5; i++) {
            OpenWebUiDatabase.insertChat(c, "plain-" + i, "user-1", "{\"history\":{\"messages\":{"
                + "\"m0\":{\"role\":\"user\",\"content\":\"question " + i + "\",\"timestamp\":1717000000},"
                + "\"m1\":{\"role\":\"assistant\",\"parentId\":\"m0\",\"content\":\"answer\",\"model\":\"gpt-4o\","
                + "\"usage\":{\"prompt_tokens\":10,\"rate\":1.5e2},\"timestamp\":1717000001},"
                + "\"m2\":{\"role\":\"user\",\"parentId\":\"m1\",\"content\":[{\"type\":\"text\",\"text\":\"caf\u00e9\"}]}}}}");
        }
    }

    static VerifyConfig.Builder config(DatabaseUrl url) {
        return VerifyConfig.builder().database(url).workers(2).rangesPerWorker(5).inlineDocumentBytes(4096).maxMismatches(1000);
    }

    static long count(DatabaseUrl url, String sql) throws SQLException {
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aCorrectBackfillMatches() throws Exception {
        VerifyReport r = new Verifier(config(backfilled).build()).verify();
        assertTrue(r.matches(), r.summary() + r.mismatches());
        assertEquals(count(backfilled, "SELECT count(*) FROM chat WHERE user_id NOT LIKE 'shared-%'"), r.chatsChecked());
        long stored = count(backfilled, "SELECT count(*) FROM chat_message");
        assertEquals(stored, r.rowsStored());
        assertEquals(stored, r.rowsMatched());
        assertEquals(stored, r.rowsExpected());
        assertEquals(count(backfilled, "SELECT count(*) FROM pgbackfill.rejected_message WHERE reason IN "
            + "('DUPLICATE_ID', 'INDEX_ROW_TOO_LARGE', 'COPY_FAILED')"), r.rejectionsRecorded());
        assertTrue(count(backfilled, "SELECT count(*) FROM pgbackfill.rejected_message WHERE reason = 'DUPLICATE_ID'") >= 1,
            "the corpus has a row id two chats produce");
        assertTrue(r.messagesRejected() > 10 && r.chatsRejected() > 3, r.summary());
        assertTrue(r.now().startsWith(NOW + " (run 1 in schema pgbackfill)"), r.now());
        assertTrue(r.ranges() > 2, r.summary());
    }

    /**
     * As after Open WebUI's own migration, nothing says what the run's "now" was or which rows it
     * set aside. Collisions are inferred from the ids; rows with values too long for an index cannot
     * be told from lost rows, so they are reported, with that as the likely reason.
     */
    @Test
    void withoutTheRunsRecordsTheNowAndTheCollisionsAreInferred() throws Exception {
        VerifyReport r = new Verifier(config(backfilled).schema("no_such_schema").workers(3).build()).verify();
        long tooLong = count(backfilled, "SELECT count(*) FROM pgbackfill.rejected_message WHERE reason = 'INDEX_ROW_TOO_LARGE'");
        assertTrue(tooLong > 0, "the generated chats have values too long for an index");
        assertEquals(Map.of(Mismatch.Kind.MISSING_ROW, tooLong), r.mismatchCounts(), r.mismatches().toString());
        for (Mismatch m : r.mismatches()) assertTrue(m.detail().contains("INDEX_ROW_TOO_LARGE"), m.toString());
        assertEquals(0, r.rejectionsRecorded());
        assertTrue(r.collisions() >= 1, r.summary());
        assertTrue(r.now().startsWith("unknown"), r.now());
    }

    /**
     * Open WebUI saving a chat after the run moves it in chat's physical order, which decided the
     * winner of an id two chats produce: verify, run later, must not call the loser's row missing
     * (the run recorded it as a DUPLICATE_ID rejection; the physical order is only read without that record).
     */
    @Test
    void aChatSavedAfterTheRunStillHoldsTheIdItWon() throws Exception {
        DatabaseUrl url = pg.createDatabase("saved", "");
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, NOW);
            new Backfill(BackfillConfig.builder().database(url).workers(2).nowEpoch(NOW).build()).run();
            assertEquals(1, st.executeUpdate("UPDATE chat SET title = 'saved', updated_at = " + (NOW + 60) + " WHERE id = 'p-q'"));
            try (ResultSet rs = st.executeQuery("SELECT (SELECT ctid FROM chat WHERE id = 'p') < (SELECT ctid FROM chat WHERE id = 'p-q')")) {
                rs.next();
                assertTrue(rs.getBoolean(1), "the saved winner now lies after the loser");
            }
        }
        VerifyReport r = new Verifier(config(url).build()).verify();
        assertTrue(r.matches(), r.summary() + r.mismatches());
        assertTrue(r.rejectionsRecorded() >= 1, "the loser's row is the run's recorded DUPLICATE_ID: " + r.summary());
    }

    @Test
    void aSampleChecksSomeChats() throws Exception {
        VerifyReport all = new Verifier(config(backfilled).build()).verify();
        VerifyReport some = new Verifier(config(backfilled).samplePercent(30.0).build()).verify();
        assertTrue(some.matches(), some.summary() + some.mismatches());
        assertTrue(some.chatsChecked() > all.chatsChecked() / 10 && some.chatsChecked() < all.chatsChecked() * 6 / 10, some.summary());
        assertTrue(some.rowsStored() < all.rowsStored(), some.summary());
        assertEquals(30.0, some.samplePercent());
    }

    @Test
    void eachKindOfDamageIsReportedWithItsChatRowAndColumn() throws Exception {
        DatabaseUrl url = pg.createDatabase("damaged", "");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, NOW);
            insertPlainChats(c);
        }
        new Backfill(BackfillConfig.builder().database(url).workers(2).nowEpoch(NOW).build()).run();
        assertTrue(new Verifier(config(url).build()).verify().matches());
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            st.execute("DELETE FROM chat_message WHERE id = 'plain-0-m1'");                                  // a deleted row
            st.execute("INSERT INTO chat_message (id, chat_id, user_id, role, content, created_at, updated_at) "
                + "VALUES ('plain-1-ghost', 'plain-1', 'user-1', 'user', '\"boo\"', 1717000000, 1717000000)"); // an extra row
            st.execute("UPDATE chat_message SET role = 'system' WHERE id = 'plain-2-m0'");                   // a TEXT value
            st.execute("UPDATE chat_message SET content = '[{\"type\": \"text\", \"text\": \"cafe\"}]' WHERE id = 'plain-2-m2'"); // JSON
            st.execute("UPDATE chat_message SET usage = NULL WHERE id = 'plain-2-m0'");                      // JSON null → SQL NULL
            st.execute("DELETE FROM chat_message WHERE chat_id = 'plain-3'");                                // a whole chat
            st.execute("UPDATE chat_message SET created_at = 1717000099 WHERE id = 'plain-4-m0'");           // a timestamp
            st.execute("INSERT INTO chat_message (id, chat_id, role, created_at, updated_at) SELECT id || '-x', id, 'user', 1, 1 "
                + "FROM chat WHERE user_id = 'shared-x'");                                                   // a chat not read
            st.execute("ALTER TABLE chat_message DROP CONSTRAINT chat_message_chat_id_fkey");
            st.execute("INSERT INTO chat_message (id, chat_id, role) VALUES ('gone-m', 'gone', 'user')");   // a chat that is gone
        }
        VerifyReport r = new Verifier(config(url).build()).verify();
        Map<String, Mismatch> byRow = r.mismatches().stream()
            .collect(Collectors.toMap(m -> m.kind() + " " + m.chatId() + " " + m.rowId(), m -> m));
        String shared = single(url, "SELECT id FROM chat WHERE user_id = 'shared-x'");
        assertEquals(new TreeSet<>(Set.of(
                "MISSING_ROW plain-0 plain-0-m1",
                "EXTRA_ROW plain-1 plain-1-ghost",
                "CHANGED_ROW plain-2 plain-2-m0",
                "CHANGED_ROW plain-2 plain-2-m2",
                "MISSING_CHAT plain-3 null",
                "CHANGED_ROW plain-4 plain-4-m0",
                "ORPHAN_ROWS " + shared + " " + shared + "-x",
                "ORPHAN_ROWS gone gone-m")),
            new TreeSet<>(byRow.keySet()), r.mismatches().toString());
        assertEquals(8, r.mismatchCount());
        assertEquals(Map.of(Mismatch.Kind.MISSING_ROW, 1L, Mismatch.Kind.EXTRA_ROW, 1L, Mismatch.Kind.CHANGED_ROW, 3L,
            Mismatch.Kind.MISSING_CHAT, 1L, Mismatch.Kind.ORPHAN_ROWS, 2L), r.mismatchCounts());
        String m0 = byRow.get("CHANGED_ROW plain-2 plain-2-m0").detail();
        assertTrue(m0.contains("role: expected 'user' but stored 'system'") && m0.contains("usage: expected null but stored SQL NULL")
            && !m0.contains("content"), m0);
        String m2 = byRow.get("CHANGED_ROW plain-2 plain-2-m2").detail();
        assertTrue(m2.startsWith("content: expected [{\"type\":\"text\",\"text\":\"café\"}] but stored [{\"type\": \"text\", \"text\": \"cafe\"}]"), m2);
        assertTrue(byRow.get("CHANGED_ROW plain-4 plain-4-m0").detail()
            .contains("created_at/updated_at: expected 1717000000 but stored 1717000099/1717000000"), r.mismatches().toString());
        assertTrue(byRow.get("MISSING_CHAT plain-3 null").detail().contains("none of its 3 rows is stored"), r.mismatches().toString());
        assertTrue(byRow.get("ORPHAN_ROWS gone gone-m").detail().contains("there is no chat with this id"), r.mismatches().toString());
        assertTrue(byRow.get("EXTRA_ROW plain-1 plain-1-ghost").detail().contains("no message 'ghost'"), r.mismatches().toString());

        VerifyReport capped = new Verifier(config(url).maxMismatches(2).build()).verify();
        assertEquals(2, capped.mismatches().size());
        assertEquals(8, capped.mismatchCount(), "all are counted, the first few are shown");
    }

    @Test
    void aTableWrittenByOpenWebUisPythonMigrationMatches() throws Exception {
        long runNow = 1_745_000_000L;   // that run's "now" is recorded nowhere
        DatabaseUrl url = pg.createDatabase("python", PostgresFixture.ICU_EN_US);
        ReferenceBackfill.Expectation expected;
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, runNow);
            insertPlainChats(c);
            OpenWebUiDatabase.insertChat(c, "floats", "u", "{\"history\":{\"messages\":{\"m\":{\"role\":\"user\","
                + "\"usage\":{\"a\":1e2,\"b\":0.1,\"c\":1E-7,\"d\":12345678901234567890,\"f\":2.50}}}}}");
            OpenWebUiDatabase.insertChat(c, "array-role", "u", "{\"history\":{\"messages\":{\"m\":{\"role\":[1,2]}}}}");
            expected = ReferenceBackfill.run(c, runNow);
            PythonMigrationTable.write(c, expected);
            // Upstream stores an array as PostgreSQL array text, where pgbackfill rejects the message.
            st.execute("INSERT INTO chat_message (id, chat_id, user_id, role, content, created_at, updated_at) "
                + "VALUES ('array-role-m', 'array-role', 'u', '{1,2}', 'null', " + runNow + ", " + runNow + ")");
        }
        assertEquals("{\"a\": 100.0, \"b\": 0.1, \"c\": 1e-07, \"d\": 12345678901234567890, \"f\": 2.5}",
            single(url, "SELECT usage::text FROM chat_message WHERE id = 'floats-m'"));
        VerifyReport r = new Verifier(config(url).build()).verify();
        assertTrue(r.matches(), r.summary() + r.mismatches());
        assertEquals(expected.rows().size() + 1, r.rowsStored());
        assertEquals(1, r.arrayRowsTolerated());
        assertTrue(r.collisions() >= 1, r.summary());
        long fallbacks = count(url, "SELECT count(*) FROM chat_message WHERE created_at = " + runNow);
        assertTrue(fallbacks > 10, "the corpus has timestamps that fall back to now: " + fallbacks);

        // A fallback must be a plausible run time, equal in both columns; a kept timestamp must be itself.
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            st.execute("UPDATE chat_message SET created_at = 1000, updated_at = 1000 WHERE id = 'plain-0-m2'");
            st.execute("UPDATE chat_message SET updated_at = updated_at + 1 WHERE id = 'plain-1-m2'");
            st.execute("UPDATE chat_message SET created_at = " + runNow + ", updated_at = " + runNow + " WHERE id = 'plain-2-m0'");
        }
        List<Mismatch> bad = new Verifier(config(url).build()).verify().mismatches();
        assertEquals(List.of("plain-0-m2", "plain-1-m2", "plain-2-m0"), bad.stream().map(Mismatch::rowId).sorted().toList(),
            bad.toString());
        for (Mismatch m : bad) assertTrue(m.detail().startsWith("created_at/updated_at: expected "), m.toString());
    }

    @Test
    void refusesWhatItCannotCheck() throws Exception {
        DatabaseUrl empty = pg.createDatabase("empty", "");
        BackfillException e = assertThrows(BackfillException.class, () -> new Verifier(config(empty).build()).verify());
        assertEquals(BackfillException.Kind.NOT_OPEN_WEBUI, e.kind());
        try (Connection c = PostgresFixture.connect(empty)) {
            OpenWebUiDatabase.createSchema(c);
        }
        e = assertThrows(BackfillException.class, () -> new Verifier(config(empty).build()).verify());
        assertEquals(BackfillException.Kind.WRONG_REVISION, e.kind());
        assertTrue(e.getMessage().contains("no table chat_message") && e.getMessage().contains("374d2f66af06"), e.getMessage());
        e = assertThrows(BackfillException.class, () -> new Verifier(config(DatabaseUrl.parse(
            "postgresql://nobody:pw@127.0.0.1:1/none")).build()).verify());
        assertEquals(BackfillException.Kind.CANNOT_CONNECT, e.kind());
        assertThrows(IllegalArgumentException.class, () -> config(empty).samplePercent(0.0).build());
        assertThrows(IllegalArgumentException.class, () -> config(empty).schema("x; drop table chat").build());
    }

    @Test
    void anEmptyTableOfChatsMatches() throws Exception {
        DatabaseUrl url = pg.createDatabase("nochats", "");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
        }
        new Backfill(BackfillConfig.builder().database(url).workers(1).nowEpoch(NOW).build()).run();
        VerifyReport r = new Verifier(config(url).build()).verify();
        assertTrue(r.matches());
        assertEquals(0, r.chatsChecked());
    }

    static String single(DatabaseUrl url, String sql) throws SQLException {
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(1);
        }
    }

}
