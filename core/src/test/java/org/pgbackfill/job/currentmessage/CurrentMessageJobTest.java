package org.pgbackfill.job.currentmessage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.BackfillException;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.Backfill;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.engine.RunReport;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.seed.ChatSeeder;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.seed.RevisionSeeder;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The current_message_id job against a real PostgreSQL at revision 856c5b02fb54, every chat's final
 * value compared with the independent {@link ReferenceRule} fed the chat's document and its
 * chat_message rows as plain JDBC reads them (ORDER BY ctid), before the run.
 *
 * <p>The databases: made by production's seeder at 856c5b02fb54 ({@link RevisionSeeder}: shared chats,
 * branched histories, edge-case documents, chat_message by the first job, the revisions in between, then
 * the app's changes: rows deleted and edited, regenerated replies with tied times, currentId pointing
 * nowhere), then changed beyond what the app does: parents naming nothing, times NULL or tied, rows
 * whose ids lack the chat prefix, an id that is the bare prefix, a column that already holds values;
 * plus the rule's random corpus as chats of their own.
 */
class CurrentMessageJobTest {
    static final long NOW = 1_760_000_000L;

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    /** What a database held before the run, and what the reference says each chat becomes. */
    record Expected(Map<String, String> values, Map<String, String> rejections, int chats) { }

    static DatabaseUrl database(String name, String createOptions, int corpusCases) throws Exception {
        return database(pg, name, createOptions, corpusCases);
    }

    /** The same database, in {@code fixture}'s server (another test class's). */
    static DatabaseUrl database(PostgresFixture fixture, String name, String createOptions, int corpusCases) throws Exception {
        return database(fixture, name, createOptions, corpusCases, 300);
    }

    /** The same, with {@code chats} seeded chats. */
    static DatabaseUrl database(PostgresFixture fixture, String name, String createOptions, int corpusCases, int chats) throws Exception {
        DatabaseUrl url = seededAt856c5b02fb54(fixture, name, createOptions, name.hashCode(), chats);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            // beyond what the app does: rows timed NULL, tied or naming a parent that never was, ids without the
            // chat's prefix, an id that is the bare prefix
            st.execute("UPDATE chat_message SET parent_id = 'nowhere' WHERE abs(hashtext(id)) % 13 = 2");
            st.execute("UPDATE chat_message SET created_at = NULL WHERE abs(hashtext(id)) % 11 = 3");
            st.execute("UPDATE chat_message SET created_at = 7 WHERE abs(hashtext(id)) % 11 = 5");   // ties
            st.execute("INSERT INTO chat_message (id, chat_id, role, parent_id, created_at) SELECT 'stray-' || id, id, 'user', NULL, "
                + "9999999999 FROM chat WHERE abs(hashtext(id)) % 17 = 0");
            st.execute("INSERT INTO chat_message (id, chat_id, role, parent_id, created_at) SELECT id || '-', id, 'user', NULL, "
                + "99999999999 FROM chat WHERE abs(hashtext(id)) % 19 = 0");
            // a column already there (upstream's revision tolerates it): its value is the first candidate
            st.execute("ALTER TABLE chat ADD COLUMN current_message_id TEXT");
            st.execute("UPDATE chat SET current_message_id = CASE abs(hashtext(id)) % 6 WHEN 0 THEN 'garbage' WHEN 1 THEN '' "
                + "WHEN 2 THEN (SELECT substr(m.id, length(chat.id) + 2) FROM chat_message m WHERE m.chat_id = chat.id "
                + "ORDER BY m.created_at LIMIT 1) END");
        }
        try (Connection c = PostgresFixture.connect(url)) {
            insertCorpus(c, corpusCases);
        }
        return url;
    }

    /**
     * A database at 856c5b02fb54 as {@code pgbackfill seed --revision 856c5b02fb54} makes it (production's
     * {@link RevisionSeeder}): chats with shared copies, branched histories and edge cases, chat_message by the
     * first job, the revisions up to 856c5b02fb54, then the app's later life.
     */
    static DatabaseUrl seededAt856c5b02fb54(PostgresFixture pg, String name, String createOptions, long seed, int chats) throws Exception {
        return seededAt856c5b02fb54(pg.createDatabase(name, createOptions), seed, chats);
    }

    /** The same, into the empty database {@code url} (of a server other than the fixture's). */
    static DatabaseUrl seededAt856c5b02fb54(DatabaseUrl url, long seed, int chats) throws Exception {
        try (Connection c = PostgresFixture.connect(url)) {
            new RevisionSeeder(GeneratorOptions.builder().seed(seed).chats(chats).meanDocumentBytes(6 << 10).sizeSigma(1.2)
                .maxDocumentBytes(512 << 10).edgeCaseShare(0.08).sharedUserShare(0.1).epochBase(NOW - 30L * 86_400).build(),
                RevisionSeeder.BEFORE_CURRENT_MESSAGE).seed(url, List.of(c));
        }
        return url;
    }

    /** The rule's random corpus, each case as a chat of its own (its chat id renamed apart), where PostgreSQL takes the document. */
    static void insertCorpus(Connection c, int n) throws SQLException {
        List<Corpus.Case> cases = new Corpus(20260801L).cases(n);
        try (PreparedStatement chat = c.prepareStatement("INSERT INTO chat (id, user_id, title, chat, current_message_id) "
                 + "VALUES (?, 'u', 't', ?::json, ?)");
             PreparedStatement row = c.prepareStatement("INSERT INTO chat_message (id, chat_id, role, parent_id, created_at) "
                 + "VALUES (?, ?, 'user', ?, ?) ON CONFLICT (id) DO NOTHING")) {
            for (int i = 0; i < cases.size(); i++) {
                Corpus.Case k = cases.get(i);
                String id = String.format("k%03d~%s", i, k.chatId());
                String from = k.chatId() + "-", to = id + "-";
                chat.setString(1, id);
                chat.setString(2, k.document() == null ? null : k.document().replace(from, to));
                chat.setString(3, k.current() == null ? null : k.current().replace(from, to));
                try {
                    chat.executeUpdate();
                } catch (SQLException refused) {   // PostgreSQL's json refuses it (NaN, bad syntax): not a stored document
                    continue;
                }
                for (Corpus.Row r : k.rows()) {
                    row.setString(1, r.id().replace(from, to));
                    row.setString(2, id);
                    row.setString(3, r.parentId() == null ? null : r.parentId().replace(from, to));
                    if (r.createdAt() == null) row.setNull(4, java.sql.Types.BIGINT); else row.setLong(4, r.createdAt());
                    row.executeUpdate();
                }
            }
        }
    }

    /** Every chat's value and rejection by the reference, from the database as it is now (before the run). */
    static Expected expected(DatabaseUrl url) throws SQLException {
        return expected(url, null);
    }

    /**
     * The same, from the tables as they are now, but with each chat's column as {@code before} says
     * (null: as the column holds it now): after an online run the tool has written the column, and
     * upstream, at the cut-over, would have seen it as it was before the run (the old application never writes it).
     */
    static Expected expected(DatabaseUrl url, Map<String, String> before) throws SQLException {
        Map<String, List<Corpus.Row>> rows = new HashMap<>();
        Map<String, String> values = new TreeMap<>(), rejections = new TreeMap<>();
        int chats = 0;
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT chat_id, id, parent_id, created_at FROM chat_message ORDER BY ctid")) {
                while (rs.next()) {
                    long t = rs.getLong(4);
                    Long createdAt = rs.wasNull() ? null : t;
                    rows.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                        .add(new Corpus.Row(rs.getString(2), rs.getString(3), createdAt));
                }
            }
            // the column is there only where a test added it; a database at 856c5b02fb54 has none yet
            String column = one(st, "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() "
                + "AND table_name = 'chat' AND column_name = 'current_message_id'").equals("1") ? "current_message_id" : "NULL::text";
            try (ResultSet rs = st.executeQuery("SELECT id, chat::text, " + column + " FROM chat")) {
                while (rs.next()) {
                    chats++;
                    String id = rs.getString(1), current = before == null ? rs.getString(3) : before.get(id);
                    String outcome = ReferenceRule.decide(new Corpus.Case(id, current, rs.getString(2), rows.getOrDefault(id, List.of())));
                    if (outcome.startsWith("write:")) values.put(id, outcome.substring(6));
                    else if (current != null) values.put(id, current);
                    if (outcome.startsWith("rejected:")) rejections.put(id, outcome.substring(9));
                }
            }
        }
        return new Expected(values, rejections, chats);
    }

    static BackfillConfig.Builder config(DatabaseUrl url, int workers, AtomicReference<CurrentMessageJob> job) {
        return BackfillConfig.builder().database(url).workers(workers).nowEpoch(NOW).rangesPerWorker(6).inlineDocumentBytes(4096)
            .job(() -> {
                CurrentMessageJob j = new CurrentMessageJob(7, 13);
                if (job != null) job.set(j);
                return j;
            });
    }

    /** The run finished, stamped, dropped its staging, and every chat holds the reference's value; rejections as the reference says. */
    static void assertExact(DatabaseUrl url, Expected expected) throws SQLException {
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("9a1b2c3d4e5f", one(st, "SELECT version_num FROM alembic_version"));
            assertEquals("f", one(st, "SELECT (to_regclass('pgbackfill.current_message_staging') IS NOT NULL)::text").substring(0, 1));
            Map<String, String> actual = new TreeMap<>();
            try (ResultSet rs = st.executeQuery("SELECT id, current_message_id FROM chat WHERE current_message_id IS NOT NULL")) {
                while (rs.next()) actual.put(rs.getString(1), rs.getString(2));
            }
            List<String> wrong = new ArrayList<>();
            for (String id : union(actual.keySet(), expected.values().keySet())) {
                if (!java.util.Objects.equals(actual.get(id), expected.values().get(id))) {
                    wrong.add(id + ": " + actual.get(id) + " (expected " + expected.values().get(id) + ")");
                }
            }
            assertTrue(wrong.isEmpty(), wrong.size() + " chats differ from the reference: " + wrong.subList(0, Math.min(10, wrong.size())));
            Map<String, String> rejected = new TreeMap<>();
            try (ResultSet rs = st.executeQuery("SELECT chat_id, reason FROM pgbackfill.rejected_chat WHERE run_id = "
                    + "(SELECT max(run_id) FROM pgbackfill.run)")) {
                while (rs.next()) assertEquals(null, rejected.put(rs.getString(1), rs.getString(2)), "rejected twice: " + rs.getString(1));
            }
            assertEquals(expected.rejections(), rejected);
            assertEquals("0", one(st, "SELECT count(*) FROM pgbackfill.rejected_chat WHERE run_id = (SELECT max(run_id) FROM pgbackfill.run) "
                + "AND (raw_prefix IS NULL AND chat_id IN (SELECT id FROM chat WHERE chat IS NOT NULL))"), "a raw prefix with every rejection");
        }
    }

    private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.Set<String> u = new java.util.TreeSet<>(a);
        u.addAll(b);
        return u;
    }

    /** Every chat's non-null column value now. */
    static Map<String, String> columnValues(DatabaseUrl url) throws SQLException {
        Map<String, String> values = new HashMap<>();
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, current_message_id FROM chat WHERE current_message_id IS NOT NULL")) {
            while (rs.next()) values.put(rs.getString(1), rs.getString(2));
        }
        return values;
    }

    static String one(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void everyChatHoldsTheReferenceValue() throws Exception {
        DatabaseUrl url = database("plain", "", 400);
        Expected expected = expected(url);
        long start = System.nanoTime();
        RunReport report = new Backfill(config(url, 2, null).build()).run();
        System.out.printf("current_message_id: %d chats, %d written, %d rejected, %.2f s%n", expected.chats(),
            report.rowsWritten(), expected.rejections().size(), (System.nanoTime() - start) / 1e9);
        assertExact(url, expected);
        assertEquals(expected.chats(), report.chatsRead());
        assertEquals(expected.values().size(), report.rowsWritten());
        // the job compresses nothing: chat_message's TOAST compression is the first job's to report
        assertNull(report.toastCompression(), report.summary());
        assertFalse(report.summary().contains("TOAST"), report.summary());
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT toast_compression FROM pgbackfill.run")) {
            assertTrue(rs.next());
            assertNull(rs.getString(1), "status names no compression for this job");
        }
        assertTrue(expected.rejections().size() > 5 && expected.values().size() > 200, "the data exercise the rule: " + expected.rejections());
        // and again: the database is done
        BackfillException again = assertThrows(BackfillException.class, () -> new Backfill(config(url, 1, null).build()).run());
        assertEquals(BackfillException.Kind.ALREADY_DONE, again.kind(), again.getMessage());
    }

    @Test
    void icuCollationWithFourWorkers() throws Exception {
        DatabaseUrl url = database("icu", PostgresFixture.ICU_EN_US, 150);
        Expected expected = expected(url);
        new Backfill(config(url, 4, null).rangesPerWorker(10).build()).run();
        assertExact(url, expected);
    }

    @Test
    void refusesOtherRevisions() throws Exception {
        DatabaseUrl url = pg.createDatabase("refuse", "");
        try (Connection c = PostgresFixture.connect(url)) {
            new ChatSeeder(GeneratorOptions.builder().chats(5).build()).seed(c);
        }
        BackfillException wrong = assertThrows(BackfillException.class, () -> new Backfill(config(url, 1, null).build()).run());
        assertEquals(BackfillException.Kind.WRONG_REVISION, wrong.kind());
        assertTrue(wrong.getMessage().contains("alembic upgrade 856c5b02fb54"), wrong.getMessage());
    }

    /** Stopped during the load, then killed between load and settle with staging emptied (a crash): reloaded, exact. */
    @Test
    void stagingEmptiedByACrashBeforeTheSettleIsFoundByTheReconciliationAndReloaded() throws Exception {
        DatabaseUrl url = database("crash_load", "", 100);
        Expected expected = expected(url);
        Backfill[] run = new Backfill[1];
        run[0] = new Backfill(config(url, 2, null).progress(new ProgressListener() {
            @Override public void loadProgress(long bytesRead, double fractionDone, long rowsStaged) { if (bytesRead > 0) run[0].stop(); }
        }).build());
        assertEquals(BackfillException.Kind.STOPPED, assertThrows(BackfillException.class, () -> run[0].run()).kind());
        run[0] = new Backfill(config(url, 2, null).progress(new ProgressListener() {
            @Override public void phaseStarted(Phase phase) { if (phase == Phase.SETTLE) run[0].stop(); }
        }).build());
        assertEquals(BackfillException.Kind.STOPPED, assertThrows(BackfillException.class, () -> run[0].run()).kind());
        long staged;
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("load", one(st, "SELECT phase FROM pgbackfill.run WHERE finished_at IS NULL"));
            staged = Long.parseLong(one(st, "SELECT count(*) FROM pgbackfill.current_message_staging"));
            assertTrue(staged > 0);
            st.execute("TRUNCATE pgbackfill.current_message_staging");   // what a server crash does to an UNLOGGED table
        }
        new Backfill(config(url, 2, null).build()).run();
        assertExact(url, expected);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertTrue(Integer.parseInt(one(st, "SELECT max(attempt) FROM pgbackfill.range WHERE run_id = (SELECT max(run_id) FROM "
                + "pgbackfill.run)")) > 1, "ranges whose staging rows were gone were loaded again");
        }
    }

    /**
     * The merge fails part way (a batch's transaction refused), then staging is emptied (a crash) before the
     * next run: the build computes the unmerged ranges again and continues each from where it had got.
     */
    @Test
    void aMergeStoppedPartWayAndStagingEmptiedResumesExactly() throws Exception {
        DatabaseUrl url = database("crash_merge", "", 100);
        Expected expected = expected(url);
        Backfill[] run = new Backfill[1];
        run[0] = new Backfill(config(url, 2, null).progress(new ProgressListener() {
            @Override public void phaseStarted(Phase phase) { if (phase == Phase.BUILD) run[0].stop(); }
        }).build());
        assertEquals(BackfillException.Kind.STOPPED, assertThrows(BackfillException.class, () -> run[0].run()).kind());
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE FUNCTION pg_temp_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF (SELECT sum(merged_chats) FROM "
                + "pgbackfill.current_message_merge) > 60 THEN RAISE EXCEPTION 'simulated failure mid-merge'; END IF; RETURN NULL; END $$");
            st.execute("CREATE TRIGGER fail_mid_merge AFTER INSERT OR UPDATE ON pgbackfill.current_message_merge FOR EACH ROW "
                + "EXECUTE FUNCTION pg_temp_fail()");
        }
        BackfillException failed = assertThrows(BackfillException.class, () -> new Backfill(config(url, 2, null).build()).run());
        assertTrue(failed.getMessage().contains("simulated failure mid-merge"), failed.getMessage());
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("856c5b02fb54", one(st, "SELECT version_num FROM alembic_version"));
            assertTrue(Long.parseLong(one(st, "SELECT count(*) FROM pgbackfill.current_message_merge WHERE merged_chats > 0")) > 0);
            assertTrue(Long.parseLong(one(st, "SELECT count(*) FROM pgbackfill.range r WHERE NOT EXISTS (SELECT 1 FROM "
                + "pgbackfill.current_message_merge m WHERE m.range_id = r.range_id AND m.run_id = r.run_id AND m.done)")) > 0);
            st.execute("DROP TRIGGER fail_mid_merge ON pgbackfill.current_message_merge");
            st.execute("TRUNCATE pgbackfill.current_message_staging");
        }
        AtomicReference<CurrentMessageJob> job = new AtomicReference<>();
        new Backfill(config(url, 2, job).build()).run();
        assertTrue(job.get().rangesRecomputedByBuild() > 0, "the build computed the emptied ranges again");
        assertExact(url, expected);
    }

    @Test
    void twoProcessesShareOneRun() throws Exception {
        DatabaseUrl url = database("two", "", 100);
        Expected expected = expected(url);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                new Backfill(config(url, 2, null).build()).run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        other.start();
        new Backfill(config(url, 2, null).build()).run();
        other.join();
        if (failure.get() != null) throw new AssertionError("the other process failed", failure.get());
        assertExact(url, expected);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("1", one(st, "SELECT count(*) FROM pgbackfill.run"), "one run, shared");
        }
    }
}
