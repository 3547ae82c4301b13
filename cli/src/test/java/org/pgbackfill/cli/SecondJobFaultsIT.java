package org.pgbackfill.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.embedded.EmbeddedServer;
import org.pgbackfill.job.currentmessage.CurrentMessageExpectation;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.VersionMatrix;

import java.sql.Connection;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The current_message_id job (9a1b2c3d4e5f) as {@code pgbackfill run}, a separate process of the
 * real jar, on a database at 856c5b02fb54 (production's seeder, the app's later life, the rule's
 * random corpus): killed with SIGKILL again and again at random moments of the load, the settle, the
 * merge (build) and the stamp, then run to the end; and its server restarted in immediate mode (a
 * crash: UNLOGGED staging is emptied) in the load and in the merge. Every chat's current_message_id
 * must end as {@code ReferenceRule} says, each rejection recorded once, and every killed run must have
 * left the database unstamped (856c5b02fb54) or completely finished, never stamped with unreconciled values.
 *
 * <p>Two runs started together finish one run between them.
 *
 * <p>The kill schedule's seed is printed and can be set with {@code -Dtorture.seed=N}, as for {@link CrashTortureIT}
 * ({@link KillSchedule} deals the kills of both).
 */
@VersionMatrix
class SecondJobFaultsIT {
    private static final String BEFORE = "856c5b02fb54", AFTER = "9a1b2c3d4e5f";
    private static final int CHATS = Math.max(600, 6000 * BackfillChecks.SIZE_PERCENT / 100);
    /** What each kill aims at, in phase order past the load (a resumed run skips phases done); "start": before any output. */
    private static final List<String> TARGETS = List.of("start", "load", "check", "load", "plan", "load", "load", "settle", "settle",
        "build", "build", "build", "stamp", "stamp", "stamp");
    private static final int MIN_KILLS = 8;
    private static final Pattern ONE_RUN_OUTCOME = Pattern.compile("(?s).*(Alembic revision is now " + AFTER + "|nothing to do"
        + "|finished by another process).*");

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static String template;
    private static CurrentMessageExpectation reference;

    @BeforeAll
    static void seedTemplate() throws Exception {
        long t0 = System.nanoTime();
        DatabaseUrl url = CurrentMessageExpectation.database(pg, "second_template", CHATS, 400);
        try (Connection c = PostgresFixture.connect(url); var st = c.createStatement()) {
            st.execute("ANALYZE");
        }
        reference = CurrentMessageExpectation.of(url);
        template = BackfillChecks.databaseName(url);
        log("seeded %d chats at 856c5b02fb54 plus the corpus: %d chats, %d with a value, %d rejections by the reference (%.1f s)",
            CHATS, reference.chats(), reference.values(), reference.rejections(), (System.nanoTime() - t0) / 1e9);
    }

    private static String[] runArgs() {
        return new String[] {"run", "--workers", "2"};
    }

    /**
     * Two runs started together on one database (two operators, or a retry while the first still runs) finish one
     * run between them with the exact result: both exit 0, one stamps, the other stamps the same run too (finding it
     * done) or says there was nothing left to do.
     */
    @Test
    void twoRunsStartedTogetherFinishOneRunWithTheExactResult() throws Exception {
        DatabaseUrl url = BackfillChecks.copyOf(pg, template, "together");
        CurrentMessageExpectation expected = CurrentMessageExpectation.of(url);
        CliProcess a = CliProcess.start("run A", url, runArgs());
        CliProcess b = CliProcess.start("run B", url, runArgs());
        int codeA, codeB;
        try {
            codeA = a.waitFor(300);
            codeB = b.waitFor(300);
        } finally {
            a.killIfAlive();
            b.killIfAlive();
        }
        log("run A: exit %d after %.1f s; run B: exit %d after %.1f s", codeA, a.secondsSinceStart(), codeB, b.secondsSinceStart());
        String both = "run A exited " + codeA + ":\n" + a.output() + "\nrun B exited " + codeB + ":\n" + b.output();
        assertEquals(0, codeA, "run A failed\n" + both);
        assertEquals(0, codeB, "run B failed\n" + both);
        assertTrue(ONE_RUN_OUTCOME.matcher(a.output()).matches() && ONE_RUN_OUTCOME.matcher(b.output()).matches(),
            "each says what it found\n" + both);
        assertTrue((a.output() + b.output()).contains("Alembic revision is now " + AFTER), "one of them stamped\n" + both);
        expected.assertExact(url);
    }

    @Test
    void killedAgainAndAgainThenFinishedHoldsTheReferenceValues() throws Exception {
        DatabaseUrl straight = BackfillChecks.copyOf(pg, template, "straight");
        CliProcess first = CliProcess.runToEnd("uninterrupted run", straight, 300, runArgs());
        assertEquals(0, first.exitCode(), "the uninterrupted run:\n" + first.output());
        assertTrue(first.output().contains("running the current_message_id job"), first.output());
        KillSchedule.Timing timing = KillSchedule.Timing.of(first);
        log("uninterrupted run: %s", timing);
        reference.assertExact(straight);

        DatabaseUrl tortured = BackfillChecks.copyOf(pg, template, "tortured");
        KillSchedule schedule = new KillSchedule("SecondJobFaultsIT", 20_261_202L);
        ToDoubleFunction<String> window = timing.windows(0.6, "stamp", 0.05);
        boolean stamped = false, blockedKillsDone = false;
        for (int i = 0; i < TARGETS.size() && !stamped; i++) {
            String target = TARGETS.get(i);
            if (target.equals("settle") && !blockedKillsDone) {
                // the merge and the stamp take a fraction of a second here: a random kill seldom lands in them. So one kill
                // each while they are held up by an application's row lock (the merge on the last chats, the stamp on
                // alembic_version), after part of the merge has committed; the random kills follow
                blockedKillsDone = true;
                killWhileBlocked(tortured, "build", "SELECT id FROM chat ORDER BY id DESC LIMIT 400 FOR UPDATE", schedule);
                if (stampedNow(tortured)) {
                    stamped = true;
                    break;
                }
                killWhileBlocked(tortured, "stamp", "SELECT * FROM alembic_version FOR UPDATE", schedule);
                if (stampedNow(tortured)) {
                    stamped = true;
                    break;
                }
            }
            CliProcess p = CliProcess.start("run #" + (i + 1), tortured, runArgs());
            stamped = schedule.killDuring(p, target, tortured, timing, window, () -> {
                String revision = single(tortured, "SELECT version_num FROM alembic_version");
                if (!revision.equals(AFTER)) {
                    assertEquals(BEFORE, revision, "a killed run left alembic_version at neither revision");
                    return new KillSchedule.Found(false, "not stamped");
                }
                reference.assertExact(tortured);   // a stamp promises every value: it must hold at once
                return new KillSchedule.Found(true, "stamped (the run had finished)");
            });
        }
        int kills = schedule.kills();
        assertTrue(kills >= MIN_KILLS, "only " + kills + " kills landed; " + schedule.text());
        CliProcess last = CliProcess.runToEnd("final run", tortured, 300, runArgs());
        log("final run: exit %d after %.1f s", last.exitCode(), last.secondsSinceStart());
        if (stamped) {
            assertTrue(last.exitCode() == 0 || last.exitCode() == 4, "after a finished run: exit " + last.exitCode() + "\n" + last.output()
                + "\n" + schedule.text());
        } else {
            assertEquals(0, last.exitCode(), "the final run after " + kills + " kills; " + schedule.text() + "\n" + last.output());
            assertTrue(last.output().contains("resuming unfinished run"), last.output() + "\n" + schedule.text());
        }
        schedule.check(() -> reference.assertExact(tortured));
        log("after %d kills every chat holds the reference's value", kills);
    }

    /**
     * The server crashes (immediate shutdown) in the load, and in the merge: the run waits for it and finishes exactly
     * (the crash empties UNLOGGED staging: the merge finds the ranges short and computes them again).
     */
    @Test
    void serverRestartedInTheLoadAndInTheMerge() throws Exception {
        EmbeddedServer server = PostgresFixture.ownServer();
        for (String phase : new String[] {"load", "build"}) {
            DatabaseUrl url = BackfillChecks.copyOf(pg, template, "restart_" + phase);
            CliProcess p = CliProcess.start("run", url, runArgs());
            try {
                assertTrue(p.awaitLine(s -> s.startsWith(phase), 120).isPresent(), "the run reached its " + phase + "\n" + p.output());
                Thread.sleep(phase.equals("load") ? 700 : 50);
                String before = p.lastLine();
                server.restart(EmbeddedServer.Shutdown.IMMEDIATE);
                log("restarted the server in immediate mode in the %s, %.2f s after the start (the run's last line: '%s')", phase,
                    p.secondsSinceStart(), before);
                int code = p.waitFor(300);
                log("run: exit %d after %.1f s", code, p.secondsSinceStart());
                // the server is back within seconds: the run waits for it and completes (it gave up with exit 3 in the merge,
                // when the pool's "Connection is closed" hid the server's error)
                assertEquals(0, code, "a run whose server restarted for a few seconds in the " + phase + " completes:\n" + p.output());
                // (in the load a range's lost connection is retried with the range; in the merge the run waits for the server)
                if (phase.equals("build")) assertTrue(p.output().contains("lost the server"), p.output());
            } finally {
                p.killIfAlive();
                if (!server.isRunning()) server.startAgain();
            }
            reference.assertExact(url);
        }
    }

    /**
     * Runs, waits for {@code phase}'s line while another session holds {@code lockSql}'s locks (taken once the run
     * is loading, so its plan's ALTER TABLE is not held up), kills the run while it waits on them, and checks nothing
     * was stamped; the kill goes into {@code schedule}.
     */
    private static void killWhileBlocked(DatabaseUrl url, String phase, String lockSql, KillSchedule schedule) throws Exception {
        CliProcess p = CliProcess.start("run blocked in " + phase, url, runArgs());
        try (Connection app = PostgresFixture.connect(url); var st = app.createStatement()) {
            int before = KillSchedule.phase(phase) - 1;
            assertTrue(p.awaitLine(s -> KillSchedule.phaseIndex(s) >= Math.min(before, KillSchedule.phase("load")), 120).isPresent(),
                "the run got going\n" + p.output());
            app.setAutoCommit(false);
            st.executeQuery(lockSql).close();
            assertTrue(p.awaitLine(s -> KillSchedule.phaseIndex(s) >= KillSchedule.phase(phase), 120).isPresent(),
                "the run reached " + phase + "\n" + p.output());
            Thread.sleep(1500);   // within the tool's lock_timeout (10 s): it waits on the lock
            if (p.output().contains(phase + ": already done") || !p.isAlive()) {
                // an earlier random kill landed after this phase's work: nothing left to hold up
                schedule.note("no kill while blocked in " + phase + ": an earlier run had done it; last line '" + p.lastLine() + "'");
                app.rollback();
                p.waitFor(120);
                return;
            }
            String merged = single(url, "SELECT count(*) FILTER (WHERE done) || ' of ' || count(*) FROM pgbackfill.current_message_merge");
            String last = p.lastLine();
            p.kill();
            app.rollback();
            app.close();   // the application's session too: no client may be left on the database
            BackfillChecks.awaitNoClients(BackfillChecks.databaseName(url), 30);
            String revision = single(url, "SELECT version_num FROM alembic_version");
            assertEquals(BEFORE, revision, "a run killed while blocked in " + phase + " stamped; " + schedule.text());
            schedule.landed(String.format(Locale.ROOT, "kill while blocked in %s: last line '%s'; ranges merged %s; not stamped",
                phase, last, merged));
        } finally {
            p.killIfAlive();
        }
    }

    /** Stamped: then every value the stamp promises must hold at once. */
    private static boolean stampedNow(DatabaseUrl url) throws Exception {
        if (!single(url, "SELECT version_num FROM alembic_version").equals(AFTER)) return false;
        reference.assertExact(url);
        return true;
    }

    private static String single(DatabaseUrl url, String sql) throws Exception {
        try (Connection c = PostgresFixture.connect(url)) {
            return BackfillChecks.single(c, sql);
        }
    }

    private static void log(String format, Object... args) {
        System.out.println("[SecondJobFaultsIT] " + String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
