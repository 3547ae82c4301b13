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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * {@code target/failsafe-reports/org.pgbackfill.cli.CrashTortureIT-output.txt}).
 */
@VersionMatrix
class CrashTortureIT {
    private static final int SIZE_MB = 150;
    private static final int MIN_KILLS = 10;
    private static final List<String> PHASES = List.of("check", "plan", "load", "settle", "build", "stamp");
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
    private static final Pattern PHASE_LINE = Pattern.compile("^(check|plan|load|settle|build|stamp)\\b");
    private static final Pattern PHASE_DONE = Pattern.compile("^(check|plan|load|settle|build|stamp) done in ([0-9.]+) s");

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
        Map<String, Double> phaseStart = new TreeMap<>(), phaseSeconds = new TreeMap<>();
        for (CliProcess.Line l : first.lines()) {
            Matcher m = PHASE_LINE.matcher(l.text());
            if (m.find()) phaseStart.putIfAbsent(m.group(1), l.seconds());
            Matcher d = PHASE_DONE.matcher(l.text());
            if (d.find()) phaseSeconds.put(d.group(1), Double.parseDouble(d.group(2)));
        }
        double total = first.lines().isEmpty() ? 5 : first.lines().get(first.lines().size() - 1).seconds();
        log("uninterrupted run: %.1f s in all; phases started at %s s; phase durations %s s", total, phaseStart, phaseSeconds);
        BackfillChecks.assertExactResult(straight, reference);
        BackfillChecks.Rejections expectedRejections = BackfillChecks.rejections(straight);

        // 2. The tortured run.
        DatabaseUrl tortured = BackfillChecks.copyOf(pg, pg.databaseName(), "tortured");
        String db = BackfillChecks.databaseName(tortured);
        long seed = Long.getLong("torture.seed", 20_250_615L);
        Random random = new Random(seed);
        List<String> schedule = new ArrayList<>();
        schedule.add("seed " + seed + " (-Dtorture.seed=" + seed + " repeats this schedule)");
        log("kill schedule seed %d", seed);
        int kills = 0;
        boolean stamped = false;
        for (int i = 0; i < TARGETS.size() && !stamped; i++) {
            String target = TARGETS.get(i);
            double u = random.nextDouble();
            CliProcess p = CliProcess.start("run #" + (i + 1), tortured, BackfillChecks.runArgs());
            try {
                String note;
                double anchor;
                double window;
                if (target.equals("start")) {
                    anchor = 0;
                    window = phaseStart.getOrDefault("check", 0.8);
                    note = "after start";
                } else if (phaseStart.isEmpty()) {     // no phase lines to go by: a plain random delay over the whole run
                    anchor = 0;
                    window = total;
                    note = "after start (no phase lines seen in the uninterrupted run's output)";
                } else {
                    int wanted = PHASES.indexOf(target);
                    double timeout = 2 * phaseStart.getOrDefault(target, total) + 10;
                    Optional<CliProcess.Line> seen = p.awaitLine(s -> phaseIndex(s) >= wanted, timeout);
                    anchor = seen.map(CliProcess.Line::seconds).orElse(p.secondsSinceStart());
                    // a resumed run may already be past the target phase: then the kill lands within the phase it is in
                    String in = seen.map(l -> PHASES.get(phaseIndex(l.text()))).orElse(target);
                    // (the stamp takes milliseconds: a short window, so that some kills land before its commit)
                    window = in.equals("stamp") ? 0.04
                        : Math.max(phaseSeconds.getOrDefault(in, 0.5) * (in.equals("load") ? LOAD_WINDOW_SHARE : 1), 0.05);
                    note = seen.map(l -> "after '" + l.text() + "'").orElse(p.isAlive()
                        ? "after waiting " + String.format(Locale.ROOT, "%.1f", timeout) + " s for a '" + target + "' line in vain"
                        : "(the process had ended)");
                }
                double delay = u * window;
                sleepUntil(p, anchor + delay);
                if (!p.isAlive()) {
                    int code = p.waitFor(10);
                    String line = String.format(Locale.ROOT, "run #%d (target %s): finished by itself after %.2f s with exit %d",
                        i + 1, target, p.secondsSinceStart(), code);
                    schedule.add(line);
                    log("%s", line);
                    assertEquals(0, code, "a run between kills failed on its own; schedule:\n" + String.join("\n", schedule)
                        + "\nits output:\n" + p.output());
                    stamped = true;
                    break;
                }
                double at = p.secondsSinceStart();
                String last = p.lastLine();
                p.kill();
                kills++;
                BackfillChecks.awaitNoClients(db, 30);
                String state;
                try (Connection c = PostgresFixture.connect(tortured)) {
                    String revision = BackfillChecks.alembicRevision(c);
                    if (revision.equals(BackfillChecks.AFTER)) {
                        // stamped before the kill: then everything the stamp promises must already hold
                        BackfillChecks.assertTargetSchema(c);
                        stamped = true;
                        state = "stamped (the run had finished)";
                    } else {
                        assertEquals(BackfillChecks.BEFORE, revision, "a killed run left alembic_version at neither revision");
                        state = "not stamped";
                    }
                }
                String line = String.format(Locale.ROOT, "kill %2d (target %-5s): +%.3f s %s = %.2f s after start; last line '%s'; %s",
                    kills, target, delay, note, at, last, state);
                schedule.add(line);
                log("%s", line);
            } finally {
                p.killIfAlive();
            }
        }
        assertTrue(kills >= MIN_KILLS, "only " + kills + " kills landed before the run finished; schedule:\n" + String.join("\n", schedule));

        // 3. The final run, to completion.
        CliProcess last = CliProcess.runToEnd("final run", tortured, 300, BackfillChecks.runArgs());
        log("final run: exit %d after %.1f s", last.exitCode(), last.secondsSinceStart());
        if (stamped) {
            assertTrue(last.exitCode() == 0 || last.exitCode() == 4 && last.output().matches("(?s).*already (at revision 8452d01d26d7|finished).*"),
                "after a run that finished, running again must succeed or say it is already done; got exit " + last.exitCode()
                    + ":\n" + last.output());
        } else {
            assertEquals(0, last.exitCode(), "the final run after " + kills + " kills; schedule:\n" + String.join("\n", schedule)
                + "\nits output:\n" + last.output());
        }
        BackfillChecks.assertExactResult(tortured, reference);
        ChatMessageComparison.assertNoDifferences("rejections against the uninterrupted run's",
            BackfillChecks.rejectionDifferences(expectedRejections, BackfillChecks.rejections(tortured)));
        log("the result after %d kills equals the uninterrupted run's; whole test %.1f s", kills, since(testStart));
    }

    /** The position in {@link #PHASES} of the phase a line names (the phase started, its progress or its end), else -1. */
    private static int phaseIndex(String line) {
        Matcher m = PHASE_LINE.matcher(line);
        return m.find() ? PHASES.indexOf(m.group(1)) : -1;
    }

    private static void sleepUntil(CliProcess p, double secondsSinceStart) throws InterruptedException {
        while (p.isAlive()) {
            double left = secondsSinceStart - p.secondsSinceStart();
            if (left <= 0) return;
            Thread.sleep(Math.max(1, Math.min(20, (long) (left * 1000))));
        }
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void log(String format, Object... args) {
        System.out.println("[CrashTortureIT] " + String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

}
