package org.pgbackfill.embedded;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server of its own (not the suite's shared one): settings applied, an immediate restart is a
 * crash (committed rows kept, UNLOGGED tables emptied, same port), a fast one is not, and close
 * leaves no process and no file; and it is the PostgreSQL major {@code -Dpostgres.major} picked. A
 * standby made of it streams what it commits.
 *
 * <p>Tagged {@code matrix} (core's {@code @VersionMatrix}, which this module cannot see): {@code
 * .ci/run} runs it on every major version.
 */
@Tag("matrix")
class EmbeddedServerTest {
    @Test
    void restartsLikeACrashOrACleanStopAndLeavesNothingWhenClosed() throws Exception {
        List<String> said = new ArrayList<>();
        Path dir;
        long checkpointer;
        try (EmbeddedServer s = EmbeddedServer.start(null, "nobody", Map.of("work_mem", "7MB", "fsync", "off"), said::add)) {
            dir = s.directory();
            assertTrue(said.stream().anyMatch(l -> l.startsWith("started PostgreSQL " + s.version())), said.toString());
            // the root pom's surefire configuration names the binaries' version (-Dpostgres.major picks it)
            String major = System.getProperty("pgbackfill.test.postgres.binaries", "").replaceAll("\\..*", "");
            if (!major.isEmpty()) assertTrue(s.version().startsWith(major + "."), "PostgreSQL " + s.version() + ", asked for " + major);
            assertEquals("jdbc:postgresql://127.0.0.1:" + s.port() + "/postgres", s.adminUrl().jdbcUrl());
            assertEquals("postgresql://postgres@127.0.0.1:" + s.port() + "/db", s.url("db").url());
            try (Connection c = connect(s); Statement st = c.createStatement()) {
                assertEquals("7MB", single(st, "SHOW work_mem"));
                st.execute("CREATE TABLE kept (x int)");
                st.execute("INSERT INTO kept VALUES (1), (2)");
                st.execute("CREATE UNLOGGED TABLE emptied (x int)");
                st.execute("INSERT INTO emptied VALUES (1)");
                checkpointer = Long.parseLong(single(st, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'"));
            }

            s.restart(EmbeddedServer.Shutdown.IMMEDIATE);
            try (Connection c = connect(s); Statement st = c.createStatement()) {
                assertEquals("2", single(st, "SELECT count(*) FROM kept"), "committed rows survive the crash");
                assertEquals("0", single(st, "SELECT count(*) FROM emptied"), "crash recovery empties UNLOGGED tables");
                assertNotEquals(checkpointer, Long.parseLong(single(st,
                    "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")), "a new server, not the old one");
                st.execute("INSERT INTO emptied VALUES (1)");
            }

            s.stop(EmbeddedServer.Shutdown.FAST);
            assertFalse(s.isRunning());
            assertThrows(SQLException.class, () -> connect(s).close(), "stopped means stopped");
            s.startAgain();
            try (Connection c = connect(s); Statement st = c.createStatement()) {
                assertEquals("1", single(st, "SELECT count(*) FROM emptied"), "a clean stop keeps UNLOGGED tables");
            }
        }
        assertFalse(Files.exists(dir), "the server's directory is deleted at close");
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").contains(dir.toString())),
            "no process of the server is left");
    }

    @Test
    void aStandbyStreamsWhatItsPrimaryCommitsAndIsClosedOnItsOwn() throws Exception {
        List<String> said = new ArrayList<>();
        Path standbyDir;
        try (EmbeddedServer primary = EmbeddedServer.start(null, "nobody", Map.of("fsync", "off"), said::add)) {
            int primaryPort = primary.port();
            try (Connection c = connect(primary); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE before_the_copy (x int)");
                st.execute("INSERT INTO before_the_copy VALUES (1)");
            }
            try (EmbeddedServer standby = EmbeddedServer.startStandby(primary, Map.of("wal_receiver_status_interval", "1"), said::add)) {
                standbyDir = standby.directory();
                assertEquals(primaryPort, primary.port(), "the primary is back on its port");
                assertNotEquals(primaryPort, standby.port());
                assertEquals(primary.version(), standby.version());
                try (Connection p = connect(primary); Statement ps = p.createStatement();
                     Connection s = connect(standby); Statement ss = s.createStatement()) {
                    assertEquals("t", single(ss, "SELECT pg_is_in_recovery()"));
                    assertEquals("f", single(ps, "SELECT pg_is_in_recovery()"));
                    assertEquals("1", single(ss, "SELECT count(*) FROM before_the_copy"), "what the copy held");
                    ps.execute("INSERT INTO before_the_copy SELECT generate_series(2, 1000)");
                    long deadline = System.nanoTime() + 30_000_000_000L;
                    while (!single(ss, "SELECT count(*) FROM before_the_copy").equals("1000")) {
                        assertTrue(System.nanoTime() < deadline, "the standby did not receive the primary's commit within 30 s");
                        Thread.sleep(50);
                    }
                    assertEquals(EmbeddedServer.STANDBY_NAME + " streaming", single(ps,
                        "SELECT application_name || ' ' || state FROM pg_stat_replication"));
                    assertThrows(SQLException.class, () -> ss.execute("INSERT INTO before_the_copy VALUES (0)"), "a standby is read-only");
                }
            }
            assertFalse(Files.exists(standbyDir), "the standby's directory is deleted at its close");
            try (Connection c = connect(primary); Statement st = c.createStatement()) {
                assertEquals("1000", single(st, "SELECT count(*) FROM before_the_copy"), "the primary lives on without its standby");
            }
        }
        assertTrue(said.stream().anyMatch(l -> l.startsWith("copied the data directory")), said.toString());
    }

    private static Connection connect(EmbeddedServer s) throws SQLException {
        ServerAddress a = s.adminUrl();
        return DriverManager.getConnection(a.jdbcUrl(), a.user(), null);
    }

    private static String single(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
