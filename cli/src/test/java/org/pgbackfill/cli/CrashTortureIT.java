package org.pgbackfill.cli;

import org.pgbackfill.testing.VersionMatrix;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.seed.SeedReport;
import org.pgbackfill.testing.ChatMessageComparison;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;

import java.sql.Connection;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The crash torture: {@code pgbackfill run} as a separate process, killed with SIGKILL again and
 * again at random moments in every phase, then run once more to completion. The result must be
 * an uninterrupted run's, row by row, with the same rejections, each recorded once, and every
 * killed run must have left the database either unstamped (374d2f66af06) or completely finished:
 * never half-stamped.
 *
 * <p>Each kill targets a phase (see {@link #TARGETS}) and lands a random time after the process
 * announces that phase (or a later one, if a resumed run skips it), within the time that phase
 * took in the uninterrupted run (the first 60% of it for the load, 40 ms for the stamp). At least
 * ten kills must land before a run gets to finish. The random generator's seed is printed and can
 * be set with {@code -Dtorture.seed=N}. Every kill is printed (failsafe keeps the output in
 * {@code target/failsafe-reports/org.pgbackfill.cli.CrashTortureIT-output.txt}); {@link KillSchedule} deals them.
 */
@VersionMatrix
class CrashTortureIT {
    private static final int SIZE_MB = 150;
    private static final int MIN_KILLS = 10;
    /**
     * What each kill aims at ("start": before the tool says anything). A run that resumes may skip
     * phases already done, so the load, merge, build and stamp targets come in phase order; kills at
     * start-up, check and plan are mixed in among the load kills, to hit resumed runs early too
     * (kills that cannot let a run finish, so at least ten kills are certain).
     */
    private static final List<String> TARGETS = List.of("start", "check", "plan", "load", "load", "start", "load", "check",
        "load", "load", "plan", "load", "settle", "settle", "build", "build", "stamp", "stamp");
    /** Load kills land in the first part of the load: a run that resumes where the last one stopped has less of it left. */
    private static final double LOAD_WINDOW_SHARE = 0.6;

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static ReferenceBackfill.Expectation reference;

    @BeforeAll
    static void seedTemplate() throws Exception {
        long t0 = System.nanoTime();
        SeedReport seeded = BackfillChecks.seed(pg.url(), SIZE_MB, 42);
        try (Connection c = pg.connect()) {
            reference = ReferenceBackfill.run(c, BackfillChecks.NOW);
        }
        log("seeded %s plus the edge-case corpus; reference: %d rows, %d message and %d chat rejections (%.1f s)", seeded,
            reference.rows().size(), reference.messageRejections().size(), reference.chatRejections().size(), since(t0));
    }

    @Test
    void killedAgainAndAgainThenFinishedEqualsAnUninterruptedRun() throws Exception {
        long testStart = System.nanoTime();
        // 1. The uninterrupted run: the result to reach, and how long each phase takes.
        DatabaseUrl straight = BackfillChecks.copyOf(pg, pg.databaseName(), "straight");
        CliProcess first = CliProcess.runToEnd("uninterrupted run", straight, 300, BackfillChecks.runArgs());
        assertEquals(0, first.exitCode(), "the uninterrupted run:\n" + first.output());
        KillSchedule.Timing timing = KillSchedule.Timing.of(first);
        log("uninterrupted run: %s", timing);
        BackfillChecks.assertExactResult(straight, reference);
        BackfillChecks.Rejections expectedRejections = BackfillChecks.rejections(straight);

        // 2. The tortured run.
        DatabaseUrl tortured = BackfillChecks.copyOf(pg, pg.databaseName(), "tortured");
        KillSchedule schedule = new KillSchedule("CrashTortureIT", 20_250_615L);
        // (the stamp takes milliseconds: a short window, so that some kills land before its commit)
        ToDoubleFunction<String> window = timing.windows(LOAD_WINDOW_SHARE, "stamp", 0.04);
        boolean stamped = false;
        for (int i = 0; i < TARGETS.size() && !stamped; i++) {
            CliProcess p = CliProcess.start("run #" + (i + 1), tortured, BackfillChecks.runArgs());
            stamped = schedule.killDuring(p, TARGETS.get(i), tortured, timing, window, () -> {
                try (Connection c = PostgresFixture.connect(tortured)) {
                    String revision = BackfillChecks.alembicRevision(c);
                    if (revision.equals(BackfillChecks.AFTER)) {
                        // stamped before the kill: then everything the stamp promises must already hold
                        BackfillChecks.assertTargetSchema(c);
                        return new KillSchedule.Found(true, "stamped (the run had finished)");
                    }
                    assertEquals(BackfillChecks.BEFORE, revision, "a killed run left alembic_version at neither revision");
                    return new KillSchedule.Found(false, "not stamped");
                }
            });
        }
        int kills = schedule.kills();
        assertTrue(kills >= MIN_KILLS, "only " + kills + " kills landed before the run finished; " + schedule.text());

        // 3. The final run, to completion.
        CliProcess last = CliProcess.runToEnd("final run", tortured, 300, BackfillChecks.runArgs());
        log("final run: exit %d after %.1f s", last.exitCode(), last.secondsSinceStart());
        if (stamped) {
            assertTrue(last.exitCode() == 0 || last.exitCode() == 4 && last.output().matches("(?s).*already (at revision 8452d01d26d7|finished).*"),
                "after a run that finished, running again must succeed or say it is already done; got exit " + last.exitCode()
                    + ":\n" + last.output() + "\n" + schedule.text());
        } else {
            assertEquals(0, last.exitCode(), "the final run after " + kills + " kills; " + schedule.text()
                + "\nits output:\n" + last.output());
        }
        schedule.check(() -> {
            BackfillChecks.assertExactResult(tortured, reference);
            ChatMessageComparison.assertNoDifferences("rejections against the uninterrupted run's",
                BackfillChecks.rejectionDifferences(expectedRejections, BackfillChecks.rejections(tortured)));
        });
        log("the result after %d kills equals the uninterrupted run's; whole test %.1f s", kills, since(testStart));
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void log(String format, Object... args) {
        System.out.println("[CrashTortureIT] " + String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

}
