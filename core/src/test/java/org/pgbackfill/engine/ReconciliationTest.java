package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;
import org.pgbackfill.phase.ProgressListener;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;
import org.pgbackfill.testing.VersionMatrix;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing is stamped that has not been reconciled: when chat_message lacks rows a range recorded
 * as committed (as a lost commit would leave it), or, offline, chat holds chats a range did not
 * read, that range is loaded again and the result is exact; when that does not converge, the run
 * stops naming the range and stamps nothing. The faults are made at the moment the ranges are
 * about to be settled, the one moment the reconciliation stands between a load and a stamp. And
 * the build that follows is not stopped by what a killed process left running on the server.
 */
@VersionMatrix
class ReconciliationTest {
    static final long NOW = BackfillPipelineTest.NOW;

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void rowsLostAfterTheLoadAreLoadedAgain() throws Exception {
        DatabaseUrl url = BackfillPipelineTest.corpusDatabase(pg, "lost", "", false);
        ReferenceBackfill.Expectation expected = reference(url);
        List<String> said = new ArrayList<>();
        AtomicInteger merges = new AtomicInteger();
        RunReport report = new Backfill(config(url, said, phase -> {
            if (phase == Phase.SETTLE && merges.incrementAndGet() == 1) deleteRowsOf(url, "bulk-0151-z");
        })).run();
        try (Connection c = PostgresFixture.connect(url)) {
            PipelineAssertions.assertFinishedRun(c, expected, "pgbackfill");
        }
        assertEquals(expected.rows().size(), report.rowsWritten());
        assertEquals(List.of(Phase.CHECK, Phase.PLAN, Phase.LOAD, Phase.SETTLE, Phase.BUILD, Phase.STAMP),
            report.phases().stream().map(PhaseReport::phase).toList(), "the second pass through load and merge adds to the first");
        assertTrue(said.stream().anyMatch(s -> s.startsWith("reconciliation: range ") && s.contains("chat_message holds")
            && s.contains("loading that range again")), said.toString());
    }

    @Test
    void aChatAddedWhileAnOfflineRunReadsIsReadToo() throws Exception {
        DatabaseUrl url = BackfillPipelineTest.corpusDatabase(pg, "added", "", false);
        List<String> said = new ArrayList<>();
        AtomicInteger merges = new AtomicInteger();
        new Backfill(config(url, said, phase -> {
            if (phase == Phase.SETTLE && merges.incrementAndGet() == 1) {
                try (Connection c = PostgresFixture.connect(url)) {
                    OpenWebUiDatabase.insertChat(c, "bulk-0150-zz", "late", "{\"history\":{\"messages\":{\"m\":{\"role\":\"user\","
                        + "\"content\":\"written while the run read\",\"timestamp\":1700000000}}}}");
                }
            }
        })).run();
        try (Connection c = PostgresFixture.connect(url)) {
            PipelineAssertions.assertFinishedRun(c, reference(url), "pgbackfill");
            assertEquals(1, count(c, "SELECT count(*) FROM chat_message WHERE chat_id = 'bulk-0150-zz'"));
        }
        assertTrue(said.stream().anyMatch(s -> s.contains("read ") && s.contains("chat holds")), said.toString());
    }

    @Test
    void aDifferenceThatComesBackStopsTheRunUnstamped() throws Exception {
        DatabaseUrl url = BackfillPipelineTest.corpusDatabase(pg, "stuck", "", false);
        List<String> said = new ArrayList<>();
        BackfillException e = assertThrows(BackfillException.class, () -> new Backfill(config(url, said, phase -> {
            if (phase == Phase.SETTLE) deleteRowsOf(url, "bulk-0151-z");
        })).run());
        assertEquals(BackfillException.Kind.RUN_FAILED, e.kind());
        assertTrue(e.getMessage().contains("does not hold what the load recorded") && e.getMessage().contains("range ")
            && e.getMessage().contains("Nothing was stamped"), e.getMessage());
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT version_num FROM alembic_version")) {
            rs.next();
            assertEquals("374d2f66af06", rs.getString(1), "nothing stamped");
        }
        assertEquals(LoadAndSettle.MAX_RECONCILIATIONS, said.stream().filter(s -> s.startsWith("reconciliation: ")).count(), said.toString());
    }

    /**
     * A process killed during the build leaves its CREATE INDEX running (or, here, its transaction
     * open) on the server, holding the index's name: the next process to build ends it first, and
     * builds, instead of failing on it (the intermittent chat_message_pkey failures after kill -9).
     */
    @Test
    void anIndexBuildLeftByAKilledProcessIsEndedBeforeTheBuild() throws Exception {
        DatabaseUrl url = BackfillPipelineTest.corpusDatabase(pg, "orphan", "", false);
        ReferenceBackfill.Expectation expected = reference(url);
        List<String> said = new ArrayList<>();
        List<Connection> orphans = new ArrayList<>();
        try {
            new Backfill(config(url, said, phase -> {
                if (phase != Phase.BUILD || !orphans.isEmpty()) return;
                java.util.Properties p = url.properties();
                p.setProperty("ApplicationName", "pgbackfill-killed-process");
                Connection orphan = java.sql.DriverManager.getConnection(url.jdbcUrl(), p);
                orphans.add(orphan);
                orphan.setAutoCommit(false);
                try (Statement st = orphan.createStatement()) {
                    st.execute("CREATE INDEX ix_chat_message_chat_id ON chat_message (chat_id)");
                }
            })).run();
            try (Connection c = PostgresFixture.connect(url)) {
                PipelineAssertions.assertFinishedRun(c, expected, "pgbackfill");
            }
            assertTrue(said.stream().anyMatch(s -> s.startsWith("ended 1 index build(s) left running")), said.toString());
            assertTrue(orphans.get(0).isClosed() || !orphans.get(0).isValid(2), "the orphan's session was ended");
        } finally {
            for (Connection o : orphans) {
                try {
                    o.close();
                } catch (SQLException gone) {
                    // terminated
                }
            }
        }
    }

    private interface PhaseHook { void started(Phase phase) throws Exception; }

    private static BackfillConfig config(DatabaseUrl url, List<String> said, PhaseHook hook) {
        ProgressListener listener = new ProgressListener() {
            @Override public void info(String message) { said.add(message); }
            @Override public void phaseStarted(Phase phase) {
                try {
                    hook.started(phase);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        return BackfillPipelineTest.config(url, 2).progress(listener).build();
    }

    private static ReferenceBackfill.Expectation reference(DatabaseUrl url) throws SQLException {
        try (Connection c = PostgresFixture.connect(url)) {
            return ReferenceBackfill.run(c, NOW);
        }
    }

    private static void deleteRowsOf(DatabaseUrl url, String chatId) throws SQLException {
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertTrue(st.executeUpdate("DELETE FROM chat_message WHERE chat_id = '" + chatId + "'") > 0, "rows of " + chatId + " to lose");
        }
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
