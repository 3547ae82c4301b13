package org.pgbackfill.cli;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.embedded.EmbeddedServer;
import org.pgbackfill.testing.PostgresFixture;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server crash under a running process of the jar: the suite's own server restarts in immediate
 * mode (no checkpoint, sessions cut, UNLOGGED tables emptied) at a moment the test chooses, and the
 * process, which is not run again, must wait for the server and complete by itself with exit 0.
 */
final class ServerRestart {
    /** Waits, given the running process, for the moment of the crash. */
    interface Moment {
        void await(CliProcess p) throws Exception;
    }

    private ServerRestart() { }

    /** The moment {@code p} has printed a line starting with {@code phase}, and then {@code afterMillis}. */
    static Moment in(String phase, long afterMillis) {
        return p -> {
            assertTrue(p.awaitLine(s -> s.startsWith(phase), 120).isPresent(), "the run reached its " + phase + "\n" + p.output());
            Thread.sleep(afterMillis);
        };
    }

    /**
     * Starts {@code args} on {@code url}, restarts the server at {@code moment} ({@code where} says it in the log and in
     * failures) and asserts the process completes by itself. Returns its output.
     */
    static String completes(String test, DatabaseUrl url, String where, Moment moment, String... args) throws Exception {
        EmbeddedServer server = PostgresFixture.ownServer();
        CliProcess p = CliProcess.start("run", url, args);
        try {
            moment.await(p);
            assertTrue(p.isAlive(), "the run finished before the restart " + where + ":\n" + p.output());
            String before = p.lastLine();
            double at = p.secondsSinceStart();
            server.restart(EmbeddedServer.Shutdown.IMMEDIATE);
            log(test, "restarted the server in immediate mode %s, %.2f s after the start (the run's last line: '%s')", where, at, before);
            int code = p.waitFor(300);
            log(test, "run: exit %d after %.1f s", code, p.secondsSinceStart());
            // the server is back within seconds: the run waits for it and completes, without being run again
            assertEquals(0, code, "a run whose server restarted for a few seconds " + where + " completes:\n" + p.output());
            return p.output();
        } finally {
            p.killIfAlive();
            if (!server.isRunning()) server.startAgain();
        }
    }

    private static void log(String test, String format, Object... args) {
        System.out.println("[" + test + "] " + String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
