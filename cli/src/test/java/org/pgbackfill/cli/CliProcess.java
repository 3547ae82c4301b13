package org.pgbackfill.cli;

import org.pgbackfill.db.DatabaseUrl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The built jar ({@code cli/target/pgbackfill.jar}) run as a separate process, as a user runs it:
 * {@code java -jar pgbackfill.jar args…}. Its output (standard output and error, merged) is read
 * line by line as it comes, each line with the moment it arrived, so a test can wait for what the
 * tool says (a phase starting) and act then: kill it, break its connections, restart the server.
 */
final class CliProcess {
    /** One line of output and when it arrived, in seconds after the process started. */
    record Line(double seconds, String text) { }

    private final String label;
    private final Process process;
    private final long startNanos;
    private final List<Line> lines = new ArrayList<>();
    private final Thread reader;
    private boolean ended;

    private CliProcess(String label, DatabaseUrl database, List<String> command) throws IOException {
        this.label = label;
        this.startNanos = System.nanoTime();
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        // The database travels as an operator's does: in DATABASE_URL, with its user and password, never
        // on the command line (where ps shows it); without one the child must not see the test JVM's.
        b.environment().remove("DATABASE_URL");
        if (database != null) b.environment().put("DATABASE_URL", database.jdbcUrlWithCredentials());
        this.process = b.start();
        process.getOutputStream().close();
        reader = new Thread(this::readOutput, "output of " + label);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code DATABASE_URL=database java -jar pgbackfill.jar args…} ({@code database} may be
     * null: no DATABASE_URL); {@code label} names it in messages.
     */
    static CliProcess start(String label, DatabaseUrl database, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jar().toString());
        command.addAll(List.of(args));
        return new CliProcess(label, database, command);
    }

    /** Runs {@code DATABASE_URL=database java -jar pgbackfill.jar args…} to its end (at most {@code timeoutSeconds}). */
    static CliProcess runToEnd(String label, DatabaseUrl database, long timeoutSeconds, String... args) throws Exception {
        CliProcess p = start(label, database, args);
        p.waitFor(timeoutSeconds);
        return p;
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("basedir", "."), "target", "pgbackfill.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "no " + jar + ": run the tests with mvn verify (after package)");
        return jar;
    }

    private void readOutput() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String s; (s = r.readLine()) != null; ) {
                synchronized (this) {
                    lines.add(new Line(secondsSinceStart(), s));
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the process was killed: its output simply ends
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }

    String label() { return label; }

    long pid() { return process.pid(); }

    double secondsSinceStart() { return (System.nanoTime() - startNanos) / 1e9; }

    boolean isAlive() { return process.isAlive(); }

    /**
     * Waits until a line matching {@code p} has arrived (returns it), the output ends (the process
     * exited: empty) or {@code timeoutSeconds} pass (empty).
     */
    synchronized Optional<Line> awaitLine(Predicate<String> p, double timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
        int seen = 0;
        while (true) {
            for (; seen < lines.size(); seen++) {
                if (p.test(lines.get(seen).text())) return Optional.of(lines.get(seen));
            }
            long left = deadline - System.nanoTime();
            if (ended || left <= 0) return Optional.empty();
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** The last line so far, or "" */
    synchronized String lastLine() {
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1).text();
    }

    synchronized List<Line> lines() { return List.copyOf(lines); }

    /** Everything printed so far. */
    synchronized String output() {
        StringBuilder b = new StringBuilder();
        for (Line l : lines) b.append(l.text()).append('\n');
        return b.toString();
    }

    /**
     * Waits for the process to exit and its output to be read; returns its exit code. After
     * {@code timeoutSeconds} it kills the process and fails the test with what it printed.
     */
    int waitFor(long timeoutSeconds) throws InterruptedException {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            kill();
            fail(label + ": did not finish within " + timeoutSeconds + " s; its output:\n" + output());
        }
        reader.join(10_000);
        return process.exitValue();
    }

    /** The exit code, when it has exited. */
    int exitCode() { return process.exitValue(); }

    /**
     * SIGKILL ({@link Process#destroyForcibly()} on Linux) to the process and everything it started,
     * then waits until it is gone.
     */
    void kill() throws InterruptedException {
        List<ProcessHandle> tree = new ArrayList<>();
        process.descendants().forEach(tree::add);
        process.destroyForcibly();
        for (ProcessHandle h : tree) h.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException(label + ": still alive 30 s after SIGKILL");
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(label + ": a child process is still alive after SIGKILL: " + h.pid(), e);
            }
        }
        reader.join(10_000);
    }

    /** Kills the process if it is still running (for finally blocks). */
    void killIfAlive() {
        if (!process.isAlive()) return;
        try {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
