package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;

import org.pgbackfill.engine.DryRun;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `pgbackfill plan` shows ranges and estimates, refuses what `run` refuses, and writes nothing. */
class PlanCommandTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    /** Everything a run would create or change: relations, schemas, the stamp, rows written. */
    static String footprint(DatabaseUrl url) throws Exception {
        try (Connection c = PostgresFixture.connect(url); var st = c.createStatement();
             var rs = st.executeQuery("SELECT (SELECT count(*) FROM pg_class) || '|' || (SELECT string_agg(nspname, ',' ORDER BY nspname) "
                 + "FROM pg_namespace) || '|' || (SELECT version_num FROM alembic_version) || '|' || "
                 + "(SELECT md5(string_agg(id || coalesce(chat::text, ''), ',' ORDER BY id)) FROM chat)")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void showsThePlanAndEstimatesAndWritesNothing() throws Exception {
        DatabaseUrl url = pg.createDatabase("plan", "");
        assertEquals(0, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--chats", "400", "--edge-share", "0.05"));
        String before = footprint(url);
        assertEquals(0, Main.execute("plan", "--database-url", url.jdbcUrlWithCredentials(), "--workers", "2", "--calibration-seconds", "1"));
        String out = console.output();
        assertTrue(out.contains("ranges for 2 workers") && out.contains("calibration:") && out.contains("messages")
            && out.contains("disk on the server:") && out.contains("nothing was written"), out);
        assertTrue(out.contains("range 0 (-∞"), out);
        assertEquals(before, footprint(url), "a dry run creates and changes nothing");
        // issue #14: a total, the free space where it is known (here the server runs on this machine), and the client's spool
        assertTrue(out.matches("(?s).*disk on the server: chat_message about [0-9.]+ MB, its indexes about [0-9.]+ MB, WAL about [0-9.]+ MB: "
            + "about [0-9.]+ MB in all\\n  free there: [0-9.]+ MB \\(data directory .*"), out);
        assertTrue(out.contains("disk on this machine: up to about") && out.contains("pgbackfill-spool"), out);

        // issue #14: the table estimate was 159 MB for an actual 230 MB; now it is not below the table the run makes
        Matcher m = Pattern.compile("chat_message about ([0-9.]+) MB").matcher(out);
        assertTrue(m.find(), out);
        double estimated = Double.parseDouble(m.group(1)) * 1e6;
        assertEquals(0, Main.execute("run", "--database-url", url.jdbcUrlWithCredentials(), "--workers", "2", "--quiet"));
        try (Connection c = PostgresFixture.connect(url); var st = c.createStatement();
             var rs = st.executeQuery("SELECT pg_table_size('chat_message')")) {
            rs.next();
            double actual = rs.getLong(1);
            assertTrue(estimated >= 0.9 * actual && estimated <= 2.0 * actual, "estimated " + estimated + " for an actual " + actual);
        }
    }

    /** Issue #16: at 856c5b02fb54, plan estimates the current_message_id job (the chats whose value changes, the merge) and writes nothing. */
    @Test
    void estimatesTheSecondJobAndWritesNothing() throws Exception {
        DatabaseUrl url = pg.createDatabase("plan2", "");
        String db = url.jdbcUrlWithCredentials();
        assertEquals(0, Main.execute("seed", "--database-url", db, "--chats", "1500", "--seed", "4", "--revision", "856c5b02fb54"));
        String before = footprint(url);
        assertEquals(0, Main.execute("plan", "--database-url", db, "--workers", "2", "--calibration-seconds", "2"));
        String out = console.output();
        assertTrue(out.contains("current_message_id: about ") && out.contains("calibration: read and decided ")
            && out.contains(", then the merge about ") && out.contains("disk on the server: staging about "), out);
        assertEquals(before, footprint(url), "a dry run creates and changes nothing");
        Matcher m = Pattern.compile("about (\\d+) chats get a value \\((\\d+) of the (\\d+) sampled\\)").matcher(out);
        assertTrue(m.find(), out);
        long estimated = Long.parseLong(m.group(1));
        assertTrue(Long.parseLong(m.group(3)) > 0, "the sample read chats: " + out);

        // named, the other job refuses this database, as run does
        assertEquals(4, Main.execute("plan", "--database-url", db, "--job", "chat_message", "--calibration-seconds", "1"));

        assertEquals(0, Main.execute("run", "--database-url", db, "--workers", "2", "--quiet"));
        try (Connection c = PostgresFixture.connect(url); var st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM chat WHERE current_message_id IS NOT NULL")) {
            rs.next();
            long actual = rs.getLong(1);
            assertTrue(estimated >= 0.7 * actual && estimated <= 1.3 * actual, "estimated " + estimated + " chats for an actual " + actual);
        }
    }

    /** Issue #14: no warning when the disk may be short. */
    @Test
    void warnsWhenTheDiskMayBeShort() {
        DryRun.Disk roomy = new DryRun.Disk("/var/lib/postgresql/data", 10_000_000_000L, Path.of("/tmp/pgbackfill-spool"), 0, 5_000_000_000L);
        assertFalse(roomy.describeServer(1_000_000_000L).contains("WARNING"), roomy.describeServer(1_000_000_000L));
        DryRun.Disk tight = new DryRun.Disk("/var/lib/postgresql/data", 1_100_000_000L, Path.of("/tmp/pgbackfill-spool"), 800_000_000L, 900_000_000L);
        assertTrue(tight.describeServer(1_000_000_000L).contains("WARNING: the server may run out of disk: free at least 1250.0 MB"),
            tight.describeServer(1_000_000_000L));
        assertTrue(tight.describeSpool().contains("WARNING: this machine may run out of disk for the spool"), tight.describeSpool());
        DryRun.Disk unknown = new DryRun.Disk(null, -1, Path.of("/tmp/pgbackfill-spool"), 0, 1);
        assertTrue(unknown.describeServer(2_000_000_000L).contains("unknown from here") && unknown.describeServer(2_000_000_000L)
            .contains("check with df on the server that at least 2500.0 MB are free"), unknown.describeServer(2_000_000_000L));
    }

    @Test
    void refusesWhatRunRefuses() throws Exception {
        DatabaseUrl url = pg.createDatabase("planrev", "");
        assertEquals(0, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--chats", "5"));
        try (Connection c = PostgresFixture.connect(url); var st = c.createStatement()) {
            st.execute("UPDATE alembic_version SET version_num = 'abc'");
        }
        assertEquals(4, Main.execute("plan", "--database-url", url.jdbcUrlWithCredentials()));
        assertTrue(console.output().contains("alembic upgrade 374d2f66af06"), console.output());
    }
}
