package org.pgbackfill.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.job.currentmessage.AppWriter;
import org.pgbackfill.job.currentmessage.CurrentMessageExpectation;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.VersionMatrix;

import java.sql.Connection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * <p>Online: {@code run --online} killed in every phase while the old application writes chat and chat_message
 * ({@link AppWriter}), completed, then {@code finish} killed after the application stopped, and finished: every chat as
 * the reference says of the final tables with the column as it was before the run, and the capture gone. And two runs
 * started together finish one run between them.
 *
 * <p>The kill schedules' seed is printed and can be set with {@code -Dtorture.seed=N}, as for {@link CrashTortureIT}
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
    /** The online run's kills, in phase order past the load; its catch-up is the only phase a resumed online run repeats. */
    private static final List<String> ONLINE_TARGETS = List.of("plan", "start", "load", "check", "load", "load", "settle", "build",
        "build", "catch-up", "catch-up", "catch-up");
    /** The online load's kills land in its first 30%: a resumed run keeps the ranges loaded, and the load must last to the settle kill. */
    private static final double ONLINE_LOAD_WINDOW_SHARE = 0.3;
    private static final int MIN_ONLINE_KILLS = 5;
    /** finish's kills: it reads nothing but the chats changed since the online run, so its phases take fractions of a second. */
    private static final List<String> FINISH_TARGETS = List.of("check", "plan", "catch-up", "catch-up", "stamp", "stamp", "stamp");
    /** MB of documents per second: the online load lasts seconds, so kills land in it and the application writes under it. */
    private static final String ONLINE_MAX_RATE = "4";
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

    private static String[] onlineArgs() {
        return new String[] {"run", "--online", "--workers", "2", "--max-rate", ONLINE_MAX_RATE};
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

    /**
     * {@code run --online} killed at random moments of its load, settle, merge (build) and catch-up while the old
     * application writes chat and chat_message, then let complete (not stamped); the application stopped (the
     * cut-over); {@code finish} killed at random moments, then run to the end. Every killed run leaves 856c5b02fb54 (a
     * killed finish: or 9a1b2c3d4e5f, exact at once); at the end every chat holds what the reference computes on the final
     * tables with each chat's column as it was before the run, and the capture is gone. The windows come from an
     * uninterrupted online run and finish on another copy, which must end exact too.
     */
    @Test
    void onlineRunAndFinishKilledWhileTheApplicationWritesHoldTheReferenceOfTheFinalTables() throws Exception {
        // the uninterrupted online run and finish: how long each phase takes, and the result without kills
        DatabaseUrl straight = BackfillChecks.copyOf(pg, template, "online_straight");
        Map<String, String> straightBefore = CurrentMessageExpectation.columnValues(straight);
        CliProcess online;
        try (AppWriter app = new AppWriter(straight, 11)) {
            app.start();
            online = CliProcess.runToEnd("uninterrupted online run", straight, 300, onlineArgs());
            app.close();
            app.rethrow();
        }
        assertEquals(0, online.exitCode(), "the uninterrupted online run:\n" + online.output());
        CliProcess finish = CliProcess.runToEnd("uninterrupted finish", straight, 120, "finish");
        assertEquals(0, finish.exitCode(), "the uninterrupted finish:\n" + finish.output());
        KillSchedule.Timing onlineTiming = KillSchedule.Timing.of(online), finishTiming = KillSchedule.Timing.of(finish);
        log("uninterrupted online run: %s; finish: %s", onlineTiming, finishTiming);
        CurrentMessageExpectation.onFinalTables(straight, straightBefore).assertExact(straight);
        CurrentMessageExpectation.assertCaptureRemoved(straight);

        DatabaseUrl url = BackfillChecks.copyOf(pg, template, "online_tortured");
        Map<String, String> before = CurrentMessageExpectation.columnValues(url);
        KillSchedule schedule = new KillSchedule("SecondJobFaultsIT", 20_261_203L).alongside(AppWriter.APPLICATION_NAME);
        ToDoubleFunction<String> windows = onlineTiming.windows(ONLINE_LOAD_WINDOW_SHARE);
        // the merge takes a fraction of a second, and a resumed one less: its kills land in the first half of it
        ToDoubleFunction<String> onlineWindow = in -> windows.applyAsDouble(in) / (in.equals("build") ? 2 : 1);
        KillSchedule.Judge unstamped = () -> {
            assertEquals(BEFORE, single(url, "SELECT version_num FROM alembic_version"), "a killed online run stamped");
            return new KillSchedule.Found(false, "not stamped; " + runState(url));
        };
        long t0 = System.nanoTime();
        try (AppWriter app = new AppWriter(url, schedule.seed())) {
            app.start();
            boolean ended = false;
            for (int i = 0; i < ONLINE_TARGETS.size() && !ended; i++) {
                CliProcess p = CliProcess.start("online run #" + (i + 1), url, onlineArgs());
                ended = schedule.killDuring(p, ONLINE_TARGETS.get(i), url, onlineTiming, onlineWindow, unstamped);
            }
            int kills = schedule.kills();
            assertTrue(kills >= MIN_ONLINE_KILLS, "only " + kills + " kills landed in the online runs; " + schedule.text());
            CliProcess complete = CliProcess.runToEnd("online run to the end", url, 300, onlineArgs());
            schedule.note(String.format(Locale.ROOT, "online run to the end: exit %d after %.1f s", complete.exitCode(),
                complete.secondsSinceStart()));
            assertEquals(0, complete.exitCode(), "the online run after " + kills + " kills; " + schedule.text() + "\n" + complete.output());
            assertTrue(complete.output().contains("is built and current, not stamped"), complete.output() + "\n" + schedule.text());
            assertEquals(BEFORE, single(url, "SELECT version_num FROM alembic_version"), "an online run stamped; " + schedule.text());
            // the cut-over: the application stops
            app.close();
            app.rethrow();
            schedule.note("the application stopped after " + String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9)
                + ": " + app.counts());
            assertTrue(app.fewestOfAKind() > 0, "every kind of write happened under the online runs: " + app.counts() + "; " + schedule.text());
        }
        int onlineKills = schedule.kills();

        // the tables are final now (finish writes only the column): the reference of every kill of finish, and of the end
        CurrentMessageExpectation expected = CurrentMessageExpectation.onFinalTables(url, before);
        ToDoubleFunction<String> finishWindow = finishTiming.windows(1);
        boolean stamped = false;
        for (int i = 0; i < FINISH_TARGETS.size() && !stamped; i++) {
            CliProcess p = CliProcess.start("finish #" + (i + 1), url, "finish");
            stamped = schedule.killDuring(p, FINISH_TARGETS.get(i), url, finishTiming, finishWindow, () -> {
                String revision = single(url, "SELECT version_num FROM alembic_version");
                if (revision.equals(AFTER)) {   // the stamp promises every value, and the capture gone, at once
                    expected.assertExact(url);
                    CurrentMessageExpectation.assertCaptureRemoved(url);
                    return new KillSchedule.Found(true, "stamped (finish had finished)");
                }
                assertEquals(BEFORE, revision, "a killed finish left alembic_version at neither revision");
                // the capture goes in the stamp's transaction: unstamped, it must still record every change
                assertEquals("2", single(url, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgbackfill_current_message_%'"),
                    "an unstamped run lost its capture");
                return new KillSchedule.Found(false, "not stamped, capture in place; " + runState(url));
            });
        }
        assertTrue(schedule.kills() > onlineKills, "no kill landed in finish; " + schedule.text());
        CliProcess last = CliProcess.runToEnd("finish to the end", url, 120, "finish");
        schedule.note(String.format(Locale.ROOT, "finish to the end: exit %d after %.1f s", last.exitCode(), last.secondsSinceStart()));
        assertEquals(0, last.exitCode(), "the last finish; " + schedule.text() + "\n" + last.output());
        // after a killed finish that had stamped, the database is at the target: nothing to do (exit 0 too)
        assertTrue(last.output().contains(stamped ? "nothing to do" : "Alembic revision is now " + AFTER), last.output() + "\n" + schedule.text());
        schedule.check(() -> {
            expected.assertExact(url);
            CurrentMessageExpectation.assertCaptureRemoved(url);
        });
        log("after %d kills of the online runs and %d of finish every chat holds the reference's value of the final tables (%d chats)",
            onlineKills, schedule.kills() - onlineKills, expected.chats());
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
        // a resumed run has only part of the load left: its load window is the uninterrupted load's time the share of ranges still
        // to load, read when the kill is aimed (a window sized from the whole load let runs finish before their kill)
        ToDoubleFunction<String> phases = timing.windows(0.6, "stamp", 0.05);
        ToDoubleFunction<String> window = in -> in.equals("load") ? Math.max(0.05, phases.applyAsDouble(in) * rangesToLoad(tortured))
            : phases.applyAsDouble(in);
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
        for (String phase : new String[] {"load", "build"}) {
            DatabaseUrl url = BackfillChecks.copyOf(pg, template, "restart_" + phase);
            // (it gave up with exit 3 in the merge, when the pool's "Connection is closed" hid the server's error)
            String output = ServerRestart.completes("SecondJobFaultsIT", url, "in the " + phase,
                ServerRestart.in(phase, phase.equals("load") ? 700 : 50), runArgs());
            // (in the load a range's lost connection is retried with the range; in the merge the run waits for the server)
            if (phase.equals("build")) assertTrue(output.contains("lost the server"), output);
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

    /** Where the last run is, as its control tables say: the phase it completed last, its ranges' states, the ranges merged. */
    private static String runState(DatabaseUrl url) throws Exception {
        try (Connection c = PostgresFixture.connect(url); var st = c.createStatement();
             var rs = st.executeQuery("SELECT to_regclass('pgbackfill.run') IS NOT NULL, to_regclass('pgbackfill.current_message_merge') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) return "no run yet";
            boolean merges = rs.getBoolean(2);
            try (var r = st.executeQuery("SELECT 'phase done: ' || phase || '; ranges ' || (SELECT string_agg(state || ' ' || n, ', ' ORDER BY state) "
                    + "FROM (SELECT state, count(*) n FROM pgbackfill.range g WHERE g.run_id = run.run_id GROUP BY state) x)"
                    + (merges ? " || '; merged ' || (SELECT count(*) FILTER (WHERE done) || ' of ' || count(*) FROM pgbackfill.current_message_merge m "
                    + "WHERE m.run_id = run.run_id)" : "") + " FROM pgbackfill.run ORDER BY run_id DESC LIMIT 1")) {
                return r.next() ? r.getString(1) : "no run yet";
            }
        }
    }

    /** Stamped: then every value the stamp promises must hold at once. */
    private static boolean stampedNow(DatabaseUrl url) throws Exception {
        if (!single(url, "SELECT version_num FROM alembic_version").equals(AFTER)) return false;
        reference.assertExact(url);
        return true;
    }

    /** The share of the latest run's ranges not loaded yet (1 before it has planned any). */
    private static double rangesToLoad(DatabaseUrl url) {
        try {
            if (single(url, "SELECT to_regclass('pgbackfill.range') IS NOT NULL").equals("f")) return 1;
            return Double.parseDouble(single(url, "SELECT coalesce((SELECT count(*) FILTER (WHERE state IN ('pending', 'loading'))::float8 "
                + "/ nullif(count(*), 0) FROM pgbackfill.range WHERE run_id = (SELECT max(run_id) FROM pgbackfill.run)), 1)"));
        } catch (Exception e) {
            throw new IllegalStateException("reading the ranges left to load", e);
        }
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
