package org.pgbackfill.job.currentmessage;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.Backfill;
import org.pgbackfill.engine.RunReport;
import org.pgbackfill.engine.RunStatus;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgbackfill.job.currentmessage.CurrentMessageJobTest.one;

/**
 * The engine's holds for the current_message_id job, as {@code HoldTest} checks them for the first:
 * pause holds the run with no value moving (staging and the ranges' summaries stand still) and status
 * says PAUSED and why it is held; resume continues it to the reference's result; --max-rate keeps the
 * documents' read rate at or under the limit; too many active sessions of other clients hold the run
 * until they end. Status and the report count values (and chats with a value), not rows.
 */
class CurrentMessageHoldTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static String template;

    @BeforeAll
    static void seed() throws Exception {
        DatabaseUrl url = CurrentMessageJobTest.seededAt856c5b02fb54(pg, "hold_template", "", 5, 1500);
        template = url.jdbcUrl().replaceAll(".*/([^/?]+).*", "$1");
    }

    private static DatabaseUrl copy(String name) throws Exception {
        return pg.createDatabase(name, "TEMPLATE \"" + template + "\"");
    }

    static long staged(Connection c) throws Exception {
        try (Statement st = c.createStatement()) {
            if (one(st, "SELECT to_regclass('pgbackfill.current_message_staging') IS NULL").equals("t")) return 0;
            return Long.parseLong(one(st, "SELECT (SELECT count(*) FROM pgbackfill.current_message_staging) "
                + "+ (SELECT count(*) FROM pgbackfill.current_message_range)"));
        }
    }

    private static String status(Connection c) throws Exception {
        return RunStatus.read(c, "pgbackfill").describe();
    }

    @Test
    void pauseHoldsTheRunWithNoValueMovingAndResumeContinuesIt() throws Exception {
        DatabaseUrl url = copy("pause");
        CurrentMessageJobTest.Expected expected = CurrentMessageJobTest.expected(url);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection c = PostgresFixture.connect(url)) {
            Future<RunReport> run = pool.submit(() -> new Backfill(CurrentMessageJobTest.config(url, 2, null)
                .maxRateBytesPerSecond(1_500_000).build()).run());
            while (staged(c) == 0) Thread.sleep(20);
            assertTrue(new ControlTables("pgbackfill").setPaused(c, true) > 0);
            Thread.sleep(2_500);
            long held = staged(c);
            assertTrue(status(c).contains("PAUSED"), status(c));
            Thread.sleep(2_000);
            assertEquals(held, staged(c), "no value moves while the run is paused");
            String s = status(c);
            assertTrue(s.contains("held: paused"), s);
            assertTrue(s.contains("values staged for chat.current_message_id") && !s.contains("rows written"), s);
            assertTrue(!run.isDone(), "the run waits");
            new ControlTables("pgbackfill").setPaused(c, false);
            RunReport report = run.get();
            CurrentMessageJobTest.assertExact(url, expected);
            assertTrue(report.summary().contains("values written by the load") && report.summary().contains("chats with a current_message_id")
                && !report.summary().contains("rows in chat_message"), report.summary());
            assertEquals("values", report.writes());
            String after = status(c);
            assertTrue(after.contains("finished") && after.contains("values staged for chat.current_message_id"), after);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void maxRateKeepsTheReadRateAtOrUnderTheLimit() throws Exception {
        DatabaseUrl url = copy("rate");
        long limit = 2_000_000;
        RunReport report = new Backfill(CurrentMessageJobTest.config(url, 2, null).maxRateBytesPerSecond(limit).build()).run();
        PhaseReport load = report.phases().stream().filter(p -> p.phase() == Phase.LOAD).findFirst().orElseThrow();
        double rate = report.documentBytes() / load.seconds();
        assertTrue(report.documentBytes() > 5_000_000, "enough data to measure: " + report.documentBytes());
        assertTrue(rate <= limit * 1.05, String.format("read %.2f MB/s with --max-rate %.2f MB/s", rate / 1e6, limit / 1e6));
    }

    @Test
    void tooManyActiveSessionsHoldTheRunUntilTheyEnd() throws Exception {
        DatabaseUrl url = copy("sessions");
        CurrentMessageJobTest.Expected expected = CurrentMessageJobTest.expected(url);
        ExecutorService busy = Executors.newFixedThreadPool(3);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        List<Connection> sessions = new ArrayList<>();
        try (Connection c = PostgresFixture.connect(url)) {
            for (int i = 0; i < 3; i++) sessions.add(PostgresFixture.connect(url));
            for (Connection s : sessions) {
                busy.submit(() -> {
                    try (Statement st = s.createStatement()) {
                        st.execute("SELECT pg_sleep(6)");
                    }
                    return null;
                });
            }
            Thread.sleep(500);
            long t0 = System.nanoTime();
            Future<RunReport> run = pool.submit(() -> new Backfill(CurrentMessageJobTest.config(url, 2, null).maxActiveSessions(2).build()).run());
            Thread.sleep(2_500);
            assertEquals(0, staged(c), "held while other clients have 3 active sessions > 2");
            assertTrue(status(c).contains("held: 3 active sessions of other clients on the database, above the limit of 2"), status(c));
            run.get();
            assertTrue((System.nanoTime() - t0) / 1e9 > 4, "the run waited for the sessions to end");
            CurrentMessageJobTest.assertExact(url, expected);
        } finally {
            busy.shutdownNow();
            pool.shutdownNow();
            for (Connection s : sessions) s.close();
        }
    }
}
