package org.pgbackfill.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code java -jar pgbackfill.jar demo}, end to end, as a separate process: the built jar (so it
 * runs after {@code package}, under failsafe), its exit code, verify's verdict, and that nothing
 * is left behind: no server process, no files, no scratch database.
 */
class DemoIT {
    private static final long TIMEOUT_SECONDS = 150;
    private static final Pattern STARTED = Pattern.compile("started PostgreSQL \\S+ on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern SCRATCH = Pattern.compile("working in the new database (pgbackfill_demo_[0-9a-f]+)");
    /** `pgbackfill verify`'s verdict for a result that matches, as the demo prints it. */
    private static final Pattern VERDICT = Pattern.compile("(?m)^OK: chat_message matches chat$");
    /** The second job's verdict, after the revisions between: the demo goes through the whole path. */
    private static final Pattern SECOND_VERDICT = Pattern.compile("(?m)^OK: every chat's current_message_id is SPEC 7's value$");

    @TempDir
    Path tmp;

    /** As root the server runs as another account, which must be able to pass through java.io.tmpdir's parents. */
    @BeforeEach
    void letOthersThrough() throws IOException {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void embeddedServerVerifiesAndLeavesNothingBehind() throws Exception {
        Path tmpdir = Files.createDirectory(tmp.resolve("java-tmp"));
        Result r = demo(List.of(), tmpdir, "--size-mb", "20");
        checkEmbeddedRun(r, tmpdir);
    }

    /**
     * As root, the server runs as 'nobody' (the run above). This runs the demo itself as 'nobody',
     * an ordinary user: the path where no account switch happens.
     */
    @Test
    void embeddedServerAsAnOrdinaryUser() throws Exception {
        assumeTrue(isRoot(), "not root: the test above already ran the demo as an ordinary user");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runuser")) || Files.isExecutable(Path.of("/sbin/runuser")), "no runuser");
        assumeTrue(readableByOthers(jar()), jar() + " cannot be read by other users");
        Path tmpdir = Files.createDirectory(tmp.resolve("nobody-tmp"));
        Files.setAttribute(tmpdir, "unix:uid", Integer.parseInt(exec("id", "-u", "nobody")));
        Result r = demo(List.of("runuser", "-u", "nobody", "--"), tmpdir, "--size-mb", "20");
        assertFalse(r.output.contains("running it as"), r.output);
        checkEmbeddedRun(r, tmpdir);
    }

    @Test
    void givenServerGetsAScratchDatabaseThatIsDroppedAfterwards() throws Exception {
        DatabaseUrl admin = PostgresFixture.serverUrl();
        Set<String> before = demoDatabases(admin);
        Result r = demo(List.of(), tmp, "--size-mb", "20", "--database-url", admin.jdbcUrlWithCredentials());
        assertEquals(0, r.exitCode, r.output);
        assertTrue(VERDICT.matcher(r.output).find(), r.output);
        Matcher m = SCRATCH.matcher(r.output);
        assertTrue(m.find(), r.output);
        assertTrue(r.output.contains("dropped the database " + m.group(1)), r.output);
        assertFalse(r.output.contains("starting an embedded PostgreSQL"), r.output);
        assertEquals(before, demoDatabases(admin), "a scratch database was left behind");
    }

    private static void checkEmbeddedRun(Result r, Path tmpdir) throws IOException {
        assertEquals(0, r.exitCode, r.output);
        assertTrue(VERDICT.matcher(r.output).find(), r.output);
        assertTrue(r.output.contains("rows in chat_message") && r.output.contains("rejections:"), r.output);
        assertTrue(SECOND_VERDICT.matcher(r.output).find(), r.output);
        assertTrue(r.output.contains("done: Alembic revision is now 8452d01d26d7") && r.output.contains("done: Alembic revision is now 9a1b2c3d4e5f"),
            r.output);
        assertTrue(r.output.matches("(?s).*1\\. pgbackfill runs 8452d01d26d7.*estimate: about \\d+ (s|min) on this database.*"), r.output);
        assertTrue(r.output.contains("metrics at http://"), r.output);
        // the path's Alembic step between the two jobs, with its command (the database starts at 374d2f66af06)
        assertTrue(r.output.contains("alembic upgrade 856c5b02fb54"), r.output);
        Matcher m = STARTED.matcher(r.output);
        assertTrue(m.find(), r.output);
        int port = Integer.parseInt(m.group(1));
        try (Stream<Path> left = Files.list(tmpdir)) {
            assertEquals(List.of(), left.toList(), "files left in java.io.tmpdir");
        }
        List<String> servers = ProcessHandle.allProcesses()
            .map(p -> p.info().commandLine().orElse(""))
            .filter(c -> c.contains(tmpdir.toString()))
            .toList();
        assertEquals(List.of(), servers, "processes of the embedded server still running");
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            fail("something still listens on the embedded server's port " + port);
        } catch (IOException expected) {
            // closed
        }
    }

    private record Result(int exitCode, String output) { }

    /** Runs {@code [prefix] java -Djava.io.tmpdir=tmpdir -jar pgbackfill.jar demo args…}. */
    private Result demo(List<String> prefix, Path tmpdir, String... args) throws Exception {
        List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Djava.io.tmpdir=" + tmpdir);
        command.add("-jar");
        command.add(jar().toString());
        command.add("demo");
        command.addAll(List.of(args));
        Path log = Files.createTempFile(tmp, "demo", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("demo did not finish within " + TIMEOUT_SECONDS + " s:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        Files.delete(log);
        return new Result(p.exitValue(), output);
    }

    private static Path jar() {
        Path jar = Path.of(System.getProperty("basedir", "."), "target", "pgbackfill.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "no " + jar + ": run the tests with mvn verify (after package)");
        return jar;
    }

    /** Whether another account can read {@code file}: others may read it and pass through every directory above it. */
    private static boolean readableByOthers(Path file) throws IOException {
        Path f = file.toAbsolutePath();
        if (!Files.getPosixFilePermissions(f).contains(PosixFilePermission.OTHERS_READ)) return false;
        for (Path d = f.getParent(); d != null; d = d.getParent()) {
            if (!Files.getPosixFilePermissions(d).contains(PosixFilePermission.OTHERS_EXECUTE)) return false;
        }
        return true;
    }

    private static String exec(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
        return out;
    }

    private static boolean isRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }


    private static Set<String> demoDatabases(DatabaseUrl admin) throws Exception {
        Set<String> names = new TreeSet<>();
        try (Connection c = PostgresFixture.connect(admin); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT datname FROM pg_database WHERE datname LIKE 'pgbackfill\\_demo\\_%'")) {
            while (rs.next()) names.add(rs.getString(1));
        }
        return names;
    }
}
