package org.pgbackfill.cli;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.phase.Phase;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The kills of a torture test, dealt one by one to processes of the jar: each waits for the phase it
 * targets, sleeps a random part of that phase's window, SIGKILLs the process, waits until the dead
 * process's sessions are gone (a backend finishes what its client had sent) and lets the test judge what
 * it left. The random generator's seed is printed and can be set with {@code -Dtorture.seed=N}; every
 * line of the schedule is printed as it happens and {@link #text()} gives them all for assertion messages.
 */
final class KillSchedule {
    private static final List<String> PHASES = Arrays.stream(Phase.values()).map(Phase::label).toList();
    private static final Pattern PHASE_LINE = Pattern.compile("^(" + String.join("|", PHASES) + ")\\b");
    private static final Pattern PHASE_DONE = Pattern.compile("^(" + String.join("|", PHASES) + ") done in ([0-9.]+) s");

    /** What a test found after a kill: whether the process's work was complete (stamped, say), and the words for the schedule. */
    record Found(boolean complete, String words) { }

    /** The test's check of the database after a kill (it asserts; the schedule is added to its messages). */
    interface Judge {
        Found after() throws Exception;
    }

    /** When an uninterrupted process announced each phase, and how long each took, in seconds; and its whole time. */
    record Timing(Map<String, Double> started, Map<String, Double> took, double total) {
        static Timing of(CliProcess uninterrupted) {
            Map<String, Double> started = new TreeMap<>(), took = new TreeMap<>();
            for (CliProcess.Line l : uninterrupted.lines()) {
                Matcher m = PHASE_LINE.matcher(l.text());
                if (m.find()) started.putIfAbsent(m.group(1), l.seconds());
                Matcher d = PHASE_DONE.matcher(l.text());
                if (d.find()) took.put(d.group(1), Double.parseDouble(d.group(2)));
            }
            List<CliProcess.Line> lines = uninterrupted.lines();
            return new Timing(started, took, lines.isEmpty() ? 5 : lines.get(lines.size() - 1).seconds());
        }

        /**
         * The window of a kill after a phase's line: the phase's time ({@code loadShare} of it for the load: a resumed run has
         * less of it left), at least 50 ms.
         */
        ToDoubleFunction<String> windows(double loadShare) {
            return in -> Math.max(took.getOrDefault(in, 0.5) * (in.equals("load") ? loadShare : 1), 0.05);
        }

        /** The same, but {@code shortPhase}'s window (the stamp's, say: it takes milliseconds) is {@code shortSeconds}. */
        ToDoubleFunction<String> windows(double loadShare, String shortPhase, double shortSeconds) {
            ToDoubleFunction<String> others = windows(loadShare);
            return in -> in.equals(shortPhase) ? shortSeconds : others.applyAsDouble(in);
        }

        @Override public String toString() {
            return String.format(Locale.ROOT, "%.1f s in all; phases started at %s s; durations %s s", total, started, took);
        }
    }

    private final String test;
    private final long seed;
    private final Random random;
    private final List<String> lines = new ArrayList<>();
    /** The application's sessions (its application_name), which stay while the tool's must go; null: none. */
    private String application;
    private int kills;

    KillSchedule(String test, long defaultSeed) {
        this.test = test;
        this.seed = Long.getLong("torture.seed", defaultSeed);
        this.random = new Random(seed);
        note("seed " + seed + " (-Dtorture.seed=" + seed + " repeats this schedule)");
    }

    /** After a kill, sessions named {@code applicationName} (the application writing meanwhile) may stay. */
    KillSchedule alongside(String applicationName) {
        this.application = applicationName;
        return this;
    }

    long seed() { return seed; }

    int kills() { return kills; }

    /** The schedule so far, for assertion messages. */
    String text() {
        return "kill schedule:\n" + String.join("\n", lines);
    }

    /** Adds a line to the schedule, and prints it. */
    void note(String line) {
        lines.add(line);
        log("%s", line);
    }

    /** A kill the test made itself (not at a random moment): counted and noted. */
    void landed(String line) {
        kills++;
        note(line);
    }

    void log(String format, Object... args) {
        System.out.println("[" + test + "] " + String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    /**
     * Kills {@code p} (already started) a random part of its phase's window after it announces {@code target} (a
     * phase's label, or "start": a random moment before its first phase line), or the phase it is in if a resumed run
     * is already past it; then waits for its sessions to go and asks {@code judge}. Returns whether the work is
     * complete: the judge found it so, or {@code p} ended by itself first (with exit 0, asserted). {@code p} is dead after.
     */
    boolean killDuring(CliProcess p, String target, DatabaseUrl url, Timing timing, ToDoubleFunction<String> window, Judge judge)
            throws Exception {
        double u = random.nextDouble();
        try {
            double anchor, width;
            String note;
            if (target.equals("start")) {
                anchor = 0;
                width = timing.started().getOrDefault("check", 0.8);
                note = "after start";
            } else if (timing.started().isEmpty()) {   // no phase lines to go by: a plain random delay over the whole run
                anchor = 0;
                width = timing.total();
                note = "after start (no phase lines seen in the uninterrupted run's output)";
            } else {
                int wanted = phase(target);
                double timeout = Math.max(120, 2 * timing.started().getOrDefault(target, timing.total()) + 10);
                Optional<CliProcess.Line> seen = p.awaitLine(s -> phaseIndex(s) >= wanted, timeout);
                anchor = seen.map(CliProcess.Line::seconds).orElse(p.secondsSinceStart());
                String in = seen.map(l -> PHASES.get(phaseIndex(l.text()))).orElse(target);
                width = window.applyAsDouble(in);
                note = seen.map(l -> "after '" + l.text() + "'").orElse(p.isAlive()
                    ? String.format(Locale.ROOT, "after waiting %.0f s for a '%s' line in vain", timeout, target)
                    : "(the process had ended)");
            }
            double delay = u * width;
            while (p.isAlive() && p.secondsSinceStart() < anchor + delay) Thread.sleep(Math.max(1, Math.min(20,
                (long) ((anchor + delay - p.secondsSinceStart()) * 1000))));
            if (!p.isAlive()) {
                int code = p.waitFor(10);
                note(String.format(Locale.ROOT, "%s (target %s): ended by itself after %.2f s with exit %d", p.label(), target,
                    p.secondsSinceStart(), code));
                assertEquals(0, code, p.label() + " failed on its own between kills; " + text() + "\nits output:\n" + p.output());
                return true;
            }
            double at = p.secondsSinceStart();
            String last = p.lastLine();
            p.kill();
            kills++;
            BackfillChecks.awaitNoClients(BackfillChecks.databaseName(url), 30, application);
            Found found;
            try {
                found = judge.after();
            } catch (AssertionError e) {
                throw new AssertionError(String.format(Locale.ROOT, "after kill %d (target %s, %.2f s after start, last line '%s'): %s\n%s",
                    kills, target, at, last, e.getMessage(), text()), e);
            }
            note(String.format(Locale.ROOT, "kill %2d (target %-8s): +%.3f s %s = %.2f s after start; last line '%s'; %s",
                kills, target, delay, note, at, last, found.words()));
            return found.complete();
        } finally {
            p.killIfAlive();
        }
    }

    /** Runs {@code check}; an assertion it fails says the schedule too. */
    void check(Check check) throws Exception {
        try {
            check.run();
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + text(), e);
        }
    }

    interface Check {
        void run() throws Exception;
    }

    /** The position in {@link Phase}'s order of the phase a line names (its start, progress or end), else -1. */
    static int phaseIndex(String line) {
        Matcher m = PHASE_LINE.matcher(line);
        return m.find() ? PHASES.indexOf(m.group(1)) : -1;
    }

    /** The position of a phase's label in {@link Phase}'s order. */
    static int phase(String label) {
        int i = PHASES.indexOf(label);
        if (i < 0) throw new IllegalArgumentException("no phase " + label);
        return i;
    }
}
