package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.ProgressListener;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.embedded.EmbeddedServer;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;
import org.pgbackfill.testing.VersionMatrix;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A run started while the server restarts (here: a smart shutdown waiting for a last session,
 * then the start) waits for it, saying so, instead of failing at its first connection; and a
 * server that refuses from the start is still reported at once.
 */
@VersionMatrix
class ServerRestartTest {
    @RegisterExtension
    PostgresFixture pg = new PostgresFixture();   // a database per test

    @Test
    void aRunStartedDuringARestartWaitsForTheServer() throws Exception {
        EmbeddedServer server = PostgresFixture.ownServer();
        DatabaseUrl url = pg.url();
        ReferenceBackfill.Expectation expected;
        try (Connection c = pg.connect()) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, EdgeCaseCorpus.DEFAULT_NOW);
            expected = ReferenceBackfill.run(c, EdgeCaseCorpus.DEFAULT_NOW);
        }
        List<String> said = new CopyOnWriteArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override public void info(String message) { said.add(message); }
        };
        Connection lingering = pg.connect();   // a smart shutdown waits for it: meanwhile, new sessions get 57P03
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> server.stop(EmbeddedServer.Shutdown.SMART));
        try {
            awaitRefusal(url);
            CompletableFuture<RunReport> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return new Backfill(BackfillConfig.builder().database(url).workers(2).nowEpoch(EdgeCaseCorpus.DEFAULT_NOW)
                        .progress(listener).build()).run();
                } catch (BackfillException e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (said.stream().noneMatch(s -> s.contains("not accepting connections yet"))) {
                if (System.nanoTime() > deadline || run.isDone()) fail("the run did not wait for the server: " + said + " " + run);
                Thread.sleep(100);
            }
            lingering.close();
            stopping.get(60, TimeUnit.SECONDS);
            server.startAgain();
            RunReport report = run.get(180, TimeUnit.SECONDS);
            assertEquals(expected.rows().size(), report.rowsWritten());
            assertTrue(said.stream().anyMatch(s -> s.contains("accepts connections again")), said.toString());
        } finally {
            if (!lingering.isClosed()) lingering.close();
            stopping.get(60, TimeUnit.SECONDS);
            if (!server.isRunning()) server.startAgain();
        }
        try (Connection c = pg.connect()) {
            PipelineAssertions.assertFinishedRun(c, expected, "pgbackfill");
        }
    }

    /**
     * The server restarts while the build waits (on a lock this test holds on chat_message): the
     * build's connection breaks; the run waits for the server and resumes from the phase it
     * recorded, to the exact result, without being run again.
     */
    @Test
    void aServerRestartedDuringTheBuildIsWaitedForAndTheRunResumes() throws Exception {
        EmbeddedServer server = PostgresFixture.ownServer();
        DatabaseUrl url = pg.url();
        ReferenceBackfill.Expectation expected;
        try (Connection c = pg.connect()) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, EdgeCaseCorpus.DEFAULT_NOW);
            expected = ReferenceBackfill.run(c, EdgeCaseCorpus.DEFAULT_NOW);
        }
        List<String> said = new CopyOnWriteArrayList<>();
        BuildHeld held = new BuildHeld(said, () -> server.restart(EmbeddedServer.Shutdown.IMMEDIATE));
        ProgressListener listener = held;
        try {
            RunReport report = new Backfill(BackfillConfig.builder().database(url).workers(2).nowEpoch(EdgeCaseCorpus.DEFAULT_NOW)
                .lockTimeout("60s").progress(listener).build()).run();
            held.action().get(60, TimeUnit.SECONDS);
            assertEquals(expected.rows().size(), report.rowsWritten());
            assertEquals(expected.chatIdsRead().size(), report.chatsRead(), "the report keeps the load of the pass before the restart");
            assertTrue(report.rowsLoaded() >= expected.rows().size() && report.documentBytes() > 0, report.toJson());
            assertTrue(said.stream().anyMatch(s -> s.startsWith("lost the server")), said.toString());
            assertTrue(said.stream().anyMatch(s -> s.contains("accepts connections again")), said.toString());
        } finally {
            held.close();
            if (!server.isRunning()) server.startAgain();
        }
        try (Connection c = pg.connect()) {
            PipelineAssertions.assertFinishedRun(c, expected, "pgbackfill");
        }
    }

    /**
     * An administrator ending the run's session (pg_terminate_backend, 57P01 like a shutdown) stops
     * the run: without a restart of the server in between, it does not resume by itself.
     */
    @Test
    void aSessionEndedByAnAdministratorStopsTheRun() throws Exception {
        DatabaseUrl url = pg.url();
        try (Connection c = pg.connect()) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, EdgeCaseCorpus.DEFAULT_NOW);
        }
        List<String> said = new CopyOnWriteArrayList<>();
        BuildHeld held = new BuildHeld(said, () -> {
            try (Connection c = pg.connect(); java.sql.Statement st = c.createStatement()) {
                st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'pgbackfill%' "
                    + "AND wait_event_type = 'Lock'");
            }
        });
        ProgressListener listener = held;
        try {
            BackfillException e = org.junit.jupiter.api.Assertions.assertThrows(BackfillException.class, () -> new Backfill(
                BackfillConfig.builder().database(url).workers(2).nowEpoch(EdgeCaseCorpus.DEFAULT_NOW).lockTimeout("60s")
                    .progress(listener).build()).run());
            held.action().get(60, TimeUnit.SECONDS);
            assertTrue(e.getMessage().contains("administrator command"), e.getMessage());
            assertTrue(said.stream().anyMatch(s -> s.startsWith("lost the server")), "it looked whether the server restarted: " + said);
            assertTrue(said.stream().noneMatch(s -> s.contains("is finished")), said.toString());
        } finally {
            held.close();
        }
    }

    private interface Action { void run() throws Exception; }

    /**
     * A listener that, when the build starts, takes a lock on chat_message so that the build's first
     * CREATE INDEX waits, and once it waits, does {@code action} (restart the server, end a session).
     */
    private final class BuildHeld implements ProgressListener, AutoCloseable {
        private final List<String> said;
        private final Action whileWaiting;
        private final java.util.concurrent.atomic.AtomicReference<CompletableFuture<Void>> action = new java.util.concurrent.atomic.AtomicReference<>();
        private Connection blocker;

        BuildHeld(List<String> said, Action whileWaiting) {
            this.said = said;
            this.whileWaiting = whileWaiting;
        }

        CompletableFuture<Void> action() { return action.get(); }

        @Override public void info(String message) { said.add(message); }

        @Override public synchronized void phaseStarted(Phase phase) {
            if (phase != Phase.BUILD || action.get() != null) return;
            try {
                blocker = pg.connect();
                blocker.setAutoCommit(false);
                blocker.createStatement().execute("LOCK TABLE chat_message IN ROW EXCLUSIVE MODE");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            action.set(CompletableFuture.runAsync(() -> {
                try {
                    awaitWaitingBuild();
                    whileWaiting.run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }

        @Override public synchronized void close() {
            try {
                if (blocker != null) blocker.close();
            } catch (SQLException gone) {
                // ended with the server's restart
            }
        }
    }

    /** Until a pgbackfill session waits for a lock on chat_message (the build behind the test's lock). */
    private void awaitWaitingBuild() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            // a connection of its own, in autocommit: a transaction sees one snapshot of pg_stat_activity
            try (Connection c = pg.connect(); java.sql.Statement st = c.createStatement();
                 java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgbackfill%' "
                     + "AND wait_event_type = 'Lock' AND query ILIKE '%chat_message%'")) {
                rs.next();
                if (rs.getLong(1) > 0) return;
            }
            Thread.sleep(50);
        }
        fail("no build waited on the lock");
    }

    @Test
    void aServerThatRefusesFromTheStartIsReportedAtOnce() {
        long t0 = System.nanoTime();
        BackfillException e = org.junit.jupiter.api.Assertions.assertThrows(BackfillException.class, () -> new Backfill(BackfillConfig.builder()
            .database(DatabaseUrl.parse("postgresql://postgres@127.0.0.1:1/none")).workers(1).build()).run());
        assertEquals(BackfillException.Kind.CANNOT_CONNECT, e.kind(), e.getMessage());
        assertTrue((System.nanoTime() - t0) / 1e9 < 30, "reported at once, not after the restart wait");
    }

    private static void awaitRefusal(DatabaseUrl url) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Connection c = PostgresFixture.connect(url)) {
                Thread.sleep(50);
            } catch (SQLException e) {
                if ("57P03".equals(e.getSQLState())) return;
                throw e;
            }
        }
        fail("the server did not start refusing new sessions");
    }
}
