package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.ProgressListener;

import org.pgbackfill.testing.VersionMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;

import java.sql.Connection;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole run against a real PostgreSQL, compared row by row with the independent reference
 * extractor: the edge-case corpus plus bulk chats, with 1, 2 and 4 workers, many ranges, small
 * transactions and a tiny inline limit (so the chunked reading of large documents and the
 * two-pass extraction are exercised against the database too).
 */
@VersionMatrix
class BackfillPipelineTest {
    static final long NOW = EdgeCaseCorpus.DEFAULT_NOW;

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    static BackfillConfig.Builder config(DatabaseUrl url, int workers) {
        return BackfillConfig.builder().database(url).workers(workers).nowEpoch(NOW)
            .rangesPerWorker(6).maxTransactionRows(37).maxTransactionBytes(1 << 16);
    }

    /** A database with the corpus and some ordinary chats, at revision 374d2f66af06. */
    static DatabaseUrl corpusDatabase(String name, String createOptions, boolean legacy) throws Exception {
        return corpusDatabase(pg, name, createOptions, legacy);
    }

    /** The same on another test class's fixture. */
    static DatabaseUrl corpusDatabase(PostgresFixture pg, String name, String createOptions, boolean legacy) throws Exception {
        DatabaseUrl url = pg.createDatabase(name, createOptions);
        try (Connection c = PostgresFixture.connect(url)) {
            if (legacy) OpenWebUiDatabase.createLegacySchema(c); else OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, NOW);
            for (int i = 0; i < 300; i++) {
                StringBuilder doc = new StringBuilder("{\"title\":\"t\",\"history\":{\"currentId\":\"m2\",\"messages\":{");
                for (int m = 0; m < 3; m++) {
                    if (m > 0) doc.append(',');
                    doc.append("\"m").append(m).append("\":{\"id\":\"m").append(m).append("\",\"role\":\"")
                        .append(m % 2 == 0 ? "user" : "assistant").append("\",\"content\":\"message ").append(i).append(' ')
                        .append("x".repeat(i * 7 % 3000)).append("\",\"timestamp\":").append(1_717_000_000 + i).append('}');
                }
                doc.append("}},\"messages\":[]}");
                OpenWebUiDatabase.insertChat(c, String.format("bulk-%04d-%s", i, i % 3 == 0 ? "Ä" : "z"), "user-" + (i % 5), doc.toString());
            }
        }
        return url;
    }

    @ParameterizedTest(name = "{0} worker(s)")
    @ValueSource(ints = {1, 2, 4})
    void resultEqualsTheReference(int workers) throws Exception {
        DatabaseUrl url = corpusDatabase("w" + workers, "", false);
        ReferenceBackfill.Expectation expected;
        try (Connection c = PostgresFixture.connect(url)) {
            expected = ReferenceBackfill.run(c, NOW);
        }
        RunReport report = new Backfill(config(url, workers).writers(Math.min(workers, 3)).inlineDocumentBytes(4096).build()).run();
        try (Connection c = PostgresFixture.connect(url)) {
            PipelineAssertions.assertFinishedRun(c, expected, "pgbackfill");
        }
        assertEquals(expected.rows().size(), report.rowsWritten());
        assertEquals(expected.chatIdsRead().size(), report.chatsRead());
        assertEquals(expected.messageRejections().size() + expected.chatRejections().size(), report.rejectionCount());
        assertEquals(6, report.phases().size());
    }

    @Test
    void icuCollationAndLegacySchema() throws Exception {
        DatabaseUrl url = corpusDatabase("icu", PostgresFixture.ICU_EN_US, true);
        ReferenceBackfill.Expectation expected;
        try (Connection c = PostgresFixture.connect(url)) {
            expected = ReferenceBackfill.run(c, NOW);
        }
        new Backfill(config(url, 3).rangesPerWorker(20).schema("bf_tool").build()).run();
        try (Connection c = PostgresFixture.connect(url)) {
            PipelineAssertions.assertFinishedRun(c, expected, "bf_tool");
        }
    }

    @Test
    void rowsPostgresRefusesAreIsolatedAndRejectedWhileTheRestLoads() throws Exception {
        // A LATIN1 database cannot store U+1F600 in a TEXT column; COPY fails on that row only.
        DatabaseUrl url = pg.createDatabase("latin1", "TEMPLATE template0 ENCODING 'LATIN1' LOCALE 'C'");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            for (int i = 0; i < 40; i++) {
                String role = i == 17 ? "\\ud83d\\ude00" : "user";
                OpenWebUiDatabase.insertChat(c, "c" + i, "u", "{\"history\":{\"messages\":{\"a\":{\"role\":\"" + role
                    + "\",\"content\":\"caf\\u00e9 \\ud83d\\ude00\"}}}}");
            }
        }
        RunReport report = new Backfill(config(url, 2).maxTransactionRows(1000).build()).run();
        assertEquals(39, report.rowsWritten());
        assertEquals(1L, report.rejectionsByReason().get("COPY_FAILED"));
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("c17", PipelineAssertions.single(c, "SELECT chat_id FROM pgbackfill.rejected_message"));
            // JSON columns are sent ASCII-escaped, as json.dumps does, so non-ASCII content survives.
            assertEquals("\"caf\\u00e9 \\ud83d\\ude00\"", PipelineAssertions.single(c, "SELECT content::text FROM chat_message WHERE id = 'c3-a'"));
        }
    }

    /**
     * CREATE INDEX still indexes a deleted row while an older transaction might see it, so a row set
     * aside must be out of every snapshot (and vacuumed) before the index is built again.
     */
    @Test
    void anOversizedRowSetAsideWhileAnOlderSnapshotIsOpenDoesNotStopTheRebuild() throws Exception {
        DatabaseUrl url = pg.createDatabase("long_snapshot", "");
        String random = PipelineAssertions.incompressible(9000, 11);
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            OpenWebUiDatabase.insertChat(c, "c1", "u", "{\"history\":{\"messages\":{\"" + random
                + "\":{\"role\":\"user\"},\"ok\":{\"role\":\"user\"}}}}");
        }
        try (Connection old = PostgresFixture.connect(url)) {
            old.setAutoCommit(false);
            try (Statement st = old.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
                st.executeQuery("SELECT count(*) FROM chat").close();   // a snapshot older than anything the run deletes
            }
            Thread closer = new Thread(() -> {
                try {
                    Thread.sleep(4_000);
                    old.commit();
                } catch (Exception ignored) {
                    // the test fails on its own assertions
                }
            });
            closer.start();
            RunReport report = new Backfill(config(url, 1).build()).run();
            closer.join();
            assertEquals(1L, report.rejectionsByReason().get("INDEX_ROW_TOO_LARGE"), report.summary());
            assertEquals(1, report.rowsWritten());
        }
        try (Connection c = PostgresFixture.connect(url)) {
            PipelineAssertions.assertTargetSchema(c);
        }
    }

    @Test
    void valuesTooLongForAnIndexAreRejectedNotFatal() throws Exception {
        DatabaseUrl url = pg.createDatabase("long", "");
        String incompressible = PipelineAssertions.incompressible(9000, 7);
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            OpenWebUiDatabase.insertChat(c, "c1", "u", "{\"history\":{\"messages\":{"
                + "\"" + incompressible + "\":{\"role\":\"user\"},"                         // id too long: upstream's INSERT fails
                + "\"p\":{\"role\":\"user\",\"parentId\":\"" + incompressible + "\"},"   // upstream's CREATE INDEX would abort
                + "\"m\":{\"role\":\"user\",\"model\":\"" + incompressible + "\"},"
                + "\"" + "a".repeat(3000) + "\":{\"role\":\"user\",\"model\":\"" + "x".repeat(2500) + "\"},"  // long but compressible: fits
                + "\"ok\":{\"role\":\"user\"}}}}");
        }
        RunReport report = new Backfill(config(url, 2).build()).run();
        assertEquals(3L, report.rejectionsByReason().get("INDEX_ROW_TOO_LARGE"), report.summary());
        try (Connection c = PostgresFixture.connect(url)) {
            assertEquals("c1-aa|c1-ok", PipelineAssertions.single(c, "SELECT string_agg(left(id, 5), '|' ORDER BY id) FROM chat_message"));
            assertEquals("c1:m|c1:p|c1:" + incompressible.substring(0, 5), PipelineAssertions.single(c,
                "SELECT string_agg(chat_id || ':' || left(message_key, 5), '|' ORDER BY message_key) FROM pgbackfill.rejected_message"));
            PipelineAssertions.assertTargetSchema(c);
        }
    }

    @Test
    void aRunStoppedDuringLoadResumesToTheSameResultWithItsOwnNow() throws Exception {
        DatabaseUrl url = corpusDatabase("resume", "", false);
        ReferenceBackfill.Expectation expected;
        try (Connection c = PostgresFixture.connect(url)) {
            expected = ReferenceBackfill.run(c, NOW);
        }
        Backfill[] first = new Backfill[1];
        long[] planned = {-1, -1};
        ProgressListener stopOnFirstProgress = new ProgressListener() {
            @Override public void loadProgress(long bytesRead, double fractionDone, long rowsStaged) {
                if (bytesRead > 0) first[0].stop();
            }

            @Override public void planned(long storedBytes) { planned[0] = storedBytes; }
        };
        first[0] = new Backfill(config(url, 2).progress(stopOnFirstProgress).build());
        BackfillException stopped = org.junit.jupiter.api.Assertions.assertThrows(BackfillException.class, () -> first[0].run());
        assertEquals(BackfillException.Kind.STOPPED, stopped.kind(), stopped.getMessage());
        try (Connection c = PostgresFixture.connect(url)) {
            assertEquals("374d2f66af06", PipelineAssertions.single(c, "SELECT version_num FROM alembic_version"));
            assertEquals("0", PipelineAssertions.single(c, "SELECT count(*) FROM pgbackfill.range WHERE state = 'loading'"),
                "a stopped run gives its ranges back: " + PipelineAssertions.single(c, "SELECT string_agg(range_id || ' ' || state || ' '"
                    + " || coalesce(owner, '-') || ' ' || attempt, ', ') FROM pgbackfill.range") + "; sessions: "
                    + PipelineAssertions.single(c, "SELECT string_agg(application_name || ':' || coalesce(state, '?') || ':' "
                    + "|| left(query, 60), ' | ') FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"));
        }
        long whole, left;
        try (Connection c = PostgresFixture.connect(url)) {
            whole = Long.parseLong(PipelineAssertions.single(c, "SELECT sum(estimated_bytes) FROM pgbackfill.range"));
            left = Long.parseLong(PipelineAssertions.single(c, "SELECT coalesce(sum(estimated_bytes), 0) FROM pgbackfill.range "
                + "WHERE state IN ('pending', 'loading')"));
        }
        // the plan says what is left to load (the JIT is chosen from it): all of it at first, what the stopped run left after
        assertEquals(whole, planned[0]);
        assertTrue(whole > 0 && left <= whole, whole + " planned, " + left + " left");
        RunReport report = new Backfill(config(url, 3).nowEpoch(NOW + 999).progress(new ProgressListener() {
            @Override public void planned(long storedBytes) { planned[1] = storedBytes; }
        }).build()).run();
        assertEquals(left, planned[1], "a resumed run's plan: the bytes still to load");
        assertEquals(NOW, report.nowEpoch(), "a resumed run keeps the first run's now");
        try (Connection c = PostgresFixture.connect(url)) {
            PipelineAssertions.assertFinishedRun(c, expected, "pgbackfill");
            assertEquals("1|1", PipelineAssertions.single(c, "SELECT count(*) || '|' || count(finished_at) FROM pgbackfill.run"));
        }
    }

    @Test
    void restartAbandonsAnUnfinishedRunAndStartsOver() throws Exception {
        DatabaseUrl url = corpusDatabase("restart", "", false);
        ReferenceBackfill.Expectation expected;
        try (Connection c = PostgresFixture.connect(url)) {
            expected = ReferenceBackfill.run(c, NOW);
        }
        Backfill[] first = new Backfill[1];
        first[0] = new Backfill(config(url, 1).nowEpoch(NOW + 5).progress(new ProgressListener() {
            @Override public void phaseStarted(Phase phase) { if (phase == Phase.SETTLE) first[0].stop(); }
        }).build());
        org.junit.jupiter.api.Assertions.assertThrows(BackfillException.class, () -> first[0].run());
        RunReport report = new Backfill(config(url, 2).restart(true).build()).run();
        assertEquals(NOW, report.nowEpoch(), "a restarted run takes the new now");
        try (Connection c = PostgresFixture.connect(url)) {
            PipelineAssertions.assertFinishedRun(c, expected, "pgbackfill");
            assertEquals("abandoned,stamp", PipelineAssertions.single(c, "SELECT string_agg(phase, ',' ORDER BY run_id) FROM pgbackfill.run"));
        }
    }

    /**
     * Issue #14: the phase once called "merge" is "settle" now, and a range's stored state stays
     * 'merged'. A run an earlier version stopped after that phase (run.phase = 'merge') resumes,
     * and status reads it in today's words.
     */
    @Test
    void aRunStoppedByAnEarlierVersionAfterItsMergeResumes() throws Exception {
        DatabaseUrl url = corpusDatabase("oldmerge", "", false);
        ReferenceBackfill.Expectation expected;
        try (Connection c = PostgresFixture.connect(url)) {
            expected = ReferenceBackfill.run(c, NOW);
        }
        Backfill[] first = new Backfill[1];
        first[0] = new Backfill(config(url, 1).progress(new ProgressListener() {
            @Override public void phaseStarted(Phase phase) { if (phase == Phase.BUILD) first[0].stop(); }
        }).build());
        org.junit.jupiter.api.Assertions.assertThrows(BackfillException.class, () -> first[0].run());
        try (Connection c = PostgresFixture.connect(url); java.sql.Statement st = c.createStatement()) {
            assertEquals("settle", PipelineAssertions.single(c, "SELECT phase FROM pgbackfill.run"));
            st.execute("UPDATE pgbackfill.run SET phase = 'merge'");   // as an earlier version stored it
            RunStatus status = RunStatus.read(c, "pgbackfill");
            assertEquals("settle", status.lastCompletedPhase());
            assertTrue(status.rangesByState().get("settled") > 0 && !status.rangesByState().containsKey("merged"), status.rangesByState().toString());
        }
        new Backfill(config(url, 2).build()).run();
        try (Connection c = PostgresFixture.connect(url)) {
            PipelineAssertions.assertFinishedRun(c, expected, "pgbackfill");
        }
        assertEquals(Phase.SETTLE, Phase.of("merge"));
        assertEquals(Phase.SETTLE, Phase.of("settle"));
    }
}
