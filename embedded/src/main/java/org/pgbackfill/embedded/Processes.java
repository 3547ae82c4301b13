package org.pgbackfill.embedded;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Ending the embedded server's processes: ask with a signal, wait, then SIGKILL whatever is left. */
final class Processes {
    private Processes() { }

    /**
     * Sends {@code signal} ({@code INT}, {@code TERM}, …) to {@code target} and waits up to {@code
     * graceMs} for every process of {@code all} (target included) to end; then kills the rest.
     *
     * @return true when all ended within the grace period
     */
    static boolean stop(ProcessHandle target, String signal, List<ProcessHandle> all, long graceMs) {
        if (target.isAlive()) signal(target, signal);
        if (waitFor(all, graceMs)) return true;
        all.forEach(ProcessHandle::destroyForcibly);
        waitFor(all, 10_000);
        return false;
    }

    /** kill(1), because Java sends only SIGTERM and SIGKILL; SIGTERM if kill(1) cannot be run. */
    static void signal(ProcessHandle target, String signal) {
        if (!signal.equals("TERM")) {
            try {
                Process k = new ProcessBuilder("kill", "-s", signal, Long.toString(target.pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0) return;
            } catch (IOException e) {
                // no kill(1) here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        target.destroy();
    }

    /** Waits until every process has ended or the time is up; true when all ended. */
    static boolean waitFor(List<ProcessHandle> processes, long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        for (ProcessHandle h : processes) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) return processes.stream().noneMatch(ProcessHandle::isAlive);
            try {
                h.onExit().get(left, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException e) {
                // onExit never completes exceptionally
            }
        }
        return true;
    }
}
