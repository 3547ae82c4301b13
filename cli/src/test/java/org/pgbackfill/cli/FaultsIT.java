package org.pgbackfill.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.seed.SeedReport;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Faults of the database side while {@code pgbackfill run} (a separate process) loads: its COPY
 * connections terminated by the server, and the server itself restarted in immediate mode (a
 * crash: UNLOGGED staging tables are emptied by crash recovery). The run must end with exit 0 (it
 * retries), or, if it gives up, with a documented "run again" exit code, after which a resumption
 * must finish; either way the result must be exact.
 *
 * <p>The restart runs only against the local Debian cluster at 127.0.0.1:5432 (it needs
 * {@code pg_ctlcluster}), and only when no other client is connected to the server (a restart
 * would break other people's sessions, such as another build's tests). The server is always
 * brought back before the test ends, since every other test class uses it.
 */
class FaultsIT {
    private static final int SIZE_MB = 150;
    private static final Pattern SERVER = Pattern.compile("jdbc:postgresql://([^/:?]+)(?::(\\d+))?/");

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static ReferenceBackfill.Expectation reference;
    private static String clusterVersion;   // set once this class restarted the local cluster

    @BeforeAll
    static void seedTemplate() throws Exception {
        SeedReport seeded = BackfillChecks.seed(pg.url(), SIZE_MB, 99);
        try (Connection c = pg.connect()) {
            reference = ReferenceBackfill.run(c, BackfillChecks.NOW);
        }
        log("seeded %s plus the edge-case corpus; reference: %d rows", seeded, reference.rows().size());
    }

    @AfterAll
    static void serverIsUpAgain() throws Exception {
        if (clusterVersion != null) ensureServerUp(clusterVersion);
    }

    /** Readers' {@code COPY (SELECT …) TO STDOUT}, then writers' {@code COPY … FROM STDIN}, then any COPY: each terminated mid-load. */
    @Test
    void copyConnectionsTerminatedMidLoad() throws Exception {
        DatabaseUrl url = BackfillChecks.copyOf(pg, pg.databaseName(), "terminated");
        String db = BackfillChecks.databaseName(url);
        String[][] rounds = {{"readers", "COPY (%"}, {"writers", "COPY %FROM STDIN%"}, {"all COPY connections", "COPY%"}};
        CliProcess p = CliProcess.start("run", BackfillChecks.runArgs(url));
        List<String> done = new ArrayList<>();
        int terminated = 0;
        try {
            for (String[] round : rounds) {
                long t0 = System.nanoTime();
                List<String> victims = List.of();
                while (p.isAlive() && victims.isEmpty() && System.nanoTime() - t0 < 60_000_000_000L) {
                    // a round that finds none of its kind for 3 s takes any COPY connection instead
                    String like = System.nanoTime() - t0 > 3_000_000_000L ? "COPY%" : round[1];
                    victims = terminate(db, like);
                    if (victims.isEmpty()) Thread.sleep(20);
                }
                if (victims.isEmpty()) break;
                terminated += victims.size();
                String line = String.format(Locale.ROOT, "%.2f s after start, terminated %s: %s (the run's last line: '%s')",
                    p.secondsSinceStart(), round[0], victims, p.lastLine());
                done.add(line);
                log("%s", line);
                Thread.sleep(400);
            }
            int code = p.waitFor(300);
            log("run: exit %d after %.1f s", code, p.secondsSinceStart());
            if (code == 0) {
                assertTrue(terminated >= rounds.length, "the run finished before " + rounds.length + " rounds of terminations: " + done);
            } else {
                // It gave up: with "the run failed (database error during a phase; run again to retry)".
                assertEquals(8, code, "a run whose connections were terminated gives up, if at all, with exit 8; " + done
                    + "\nits output:\n" + p.output());
                assertTrue(terminated >= 1, "nothing was terminated");
                CliProcess again = CliProcess.runToEnd("resumption", 300, BackfillChecks.runArgs(url));
                log("resumption: exit %d after %.1f s", again.exitCode(), again.secondsSinceStart());
                assertEquals(0, again.exitCode(), "the resumption after a run that gave up:\n" + again.output()
                    + "\nthe run that gave up:\n" + p.output());
            }
        } finally {
            p.killIfAlive();
        }
        BackfillChecks.assertExactResult(url, reference);
    }

    @Test
    void sigtermStopsWithinSecondsLeavingAResumableRun() throws Exception {
        DatabaseUrl url = BackfillChecks.copyOf(pg, pg.databaseName(), "sigterm");
        CliProcess p = CliProcess.start("run", BackfillChecks.runArgs(url));
        try {
            assertTrue(p.awaitLine(s -> s.startsWith("load"), 120).isPresent(), "the run reached its load\n" + p.output());
            Thread.sleep(1500);
            long asked = System.nanoTime();
            ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroy);   // SIGTERM on Linux
            int code = p.waitFor(30);
            double seconds = (System.nanoTime() - asked) / 1e9;
            log("SIGTERM: exit %d after %.1f s", code, seconds);
            assertTrue(code == 143 || code == 130, "exit code of a stopped run: " + code + "\n" + p.output());
            assertTrue(seconds < 20, "stopped within seconds, took " + seconds);
            assertTrue(p.output().contains("run the same command again"), "it says how to resume\n" + p.output());
        } finally {
            p.killIfAlive();
        }
        try (Connection c = PostgresFixture.connect(url); var st = c.createStatement()) {
            assertEquals("374d2f66af06", BackfillChecks.alembicRevision(c));
            try (var rs = st.executeQuery("SELECT count(*) FROM pgbackfill.range WHERE state = 'loading'")) {
                rs.next();
                assertEquals(0, rs.getLong(1), "a stopped run gives its ranges back");
            }
        }
        CliProcess again = CliProcess.runToEnd("resumption", 300, BackfillChecks.runArgs(url));
        assertEquals(0, again.exitCode(), again.output());
        assertTrue(again.output().contains("resuming unfinished run"), again.output());
        BackfillChecks.assertExactResult(url, reference);
    }

    @Test
    void serverRestartedInImmediateModeMidLoad() throws Exception {
        DatabaseUrl server = PostgresFixture.serverUrl();
        Matcher m = SERVER.matcher(server.jdbcUrl());
        assumeTrue(m.find() && Set.of("127.0.0.1", "localhost").contains(m.group(1)) && "5432".equals(m.group(2) == null ? "5432" : m.group(2)),
            "the server restart is only done to the local cluster at 127.0.0.1:5432; the tests use " + server);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/pg_ctlcluster")), "no pg_ctlcluster to restart the server with");
        String version = localClusterVersion();
        assumeTrue(version != null, "no PostgreSQL cluster 'main' in /etc/postgresql");
        DatabaseUrl url = BackfillChecks.copyOf(pg, pg.databaseName(), "restarted");
        String db = BackfillChecks.databaseName(url);
        assumeTrue(awaitNoOtherClients(db, 60), "other sessions are connected to the server at 127.0.0.1:5432 "
            + "(another build's tests?): not restarting it under them");

        CliProcess p = CliProcess.start("run", BackfillChecks.runArgs(url));
        try {
            // Mid-load: some ranges staged and committed (crash recovery will empty them), others in flight.
            long t0 = System.nanoTime();
            while (p.isAlive() && activeCopies(db) == 0 && System.nanoTime() - t0 < 60_000_000_000L) Thread.sleep(20);
            Thread.sleep(1500);
            assertTrue(p.isAlive(), "the run finished before the restart:\n" + p.output());
            String before = p.lastLine();
            double at = p.secondsSinceStart();
            clusterVersion = version;
            try {
                exec(120, "pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "immediate");
            } finally {
                ensureServerUp(version);
            }
            log("restarted the server in immediate mode %.2f s after the run started (its last line: '%s')", at, before);
            int code = p.waitFor(300);
            log("run: exit %d after %.1f s", code, p.secondsSinceStart());
            if (code != 0) {
                // It gave up: "the run failed" (8) or, if the server was still starting, "cannot connect" (3); run again.
                assertTrue(code == 8 || code == 3, "a run whose server restarted gives up, if at all, with exit 8 or 3, got "
                    + code + ":\n" + p.output());
                CliProcess again = CliProcess.runToEnd("resumption", 300, BackfillChecks.runArgs(url));
                log("resumption: exit %d after %.1f s", again.exitCode(), again.secondsSinceStart());
                assertEquals(0, again.exitCode(), "the resumption after the server restart:\n" + again.output()
                    + "\nthe run that gave up:\n" + p.output());
            }
        } finally {
            p.killIfAlive();
        }
        BackfillChecks.assertExactResult(url, reference);
    }

    /** Terminates the pgbackfill sessions on {@code db} whose current (or last) statement is LIKE {@code like}. */
    private static List<String> terminate(String db, String like) throws Exception {
        List<String> victims = new ArrayList<>();
        try (Connection c = PostgresFixture.connect(PostgresFixture.serverUrl());
             PreparedStatement ps = c.prepareStatement("SELECT pid, left(query, 40), pg_terminate_backend(pid) FROM pg_stat_activity "
                 + "WHERE datname = ? AND application_name LIKE 'pgbackfill%' AND query LIKE ? AND pid <> pg_backend_pid()")) {
            ps.setString(1, db);
            ps.setString(2, like);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) if (rs.getBoolean(3)) victims.add(rs.getInt(1) + " '" + rs.getString(2) + "…'");
            }
        }
        return victims;
    }

    /** How many pgbackfill sessions on {@code db} are in a COPY (touches nothing). */
    private static int activeCopies(String db) throws Exception {
        try (Connection c = PostgresFixture.connect(PostgresFixture.serverUrl());
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE datname = ? "
                 + "AND application_name LIKE 'pgbackfill%' AND query LIKE 'COPY%' AND state = 'active'")) {
            ps.setString(1, db);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Whether, within {@code seconds}, no client but this test is connected to any database of the server. */
    private static boolean awaitNoOtherClients(String ownDb, double seconds) throws Exception {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        while (true) {
            try (Connection c = PostgresFixture.connect(PostgresFixture.serverUrl());
                 PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                     + "AND pid <> pg_backend_pid() AND datname IS DISTINCT FROM ?")) {
                ps.setString(1, ownDb);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) == 0) return true;
                }
            }
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(500);
        }
    }

    /** The version of the Debian cluster 'main' (the only one, or the newest), from /etc/postgresql. */
    private static String localClusterVersion() throws Exception {
        Path etc = Path.of("/etc/postgresql");
        if (!Files.isDirectory(etc)) return null;
        try (Stream<Path> s = Files.list(etc)) {
            return s.filter(d -> Files.isDirectory(d.resolve("main"))).map(d -> d.getFileName().toString())
                .max((x, y) -> Double.compare(parse(x), parse(y))).orElse(null);
        }
    }

    private static double parse(String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Waits (up to a minute) for {@code pg_isready}; starts the cluster if it is not coming back by itself. */
    static void ensureServerUp(String version) throws Exception {
        if (waitReady(60)) return;
        log("the server is not up 60 s after the restart: starting it");
        exec(120, "pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start");
        if (!waitReady(60)) fail("the local PostgreSQL server at 127.0.0.1:5432 did not come back after the restart");
    }

    private static boolean waitReady(int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            Process p = new ProcessBuilder("pg_isready", "-h", "127.0.0.1", "-p", "5432")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) return true;
            Thread.sleep(200);
        }
        return false;
    }

    /** Runs a command; its output goes to a file, not a pipe (a server it starts must not hold our pipe open). */
    private static void exec(long timeoutSeconds, String... command) throws Exception {
        Path log = Files.createTempFile("pgbackfill-faults", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + ": did not finish within " + timeoutSeconds + " s");
            }
            assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + Files.readString(log, StandardCharsets.UTF_8).trim());
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static void log(String format, Object... args) {
        System.out.println("[FaultsIT] " + String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
