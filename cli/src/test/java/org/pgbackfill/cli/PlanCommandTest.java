package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `pgbackfill plan` shows ranges and estimates, refuses what `run` refuses, and writes nothing. */
class PlanCommandTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    /** Everything a run would create or change: relations, schemas, the stamp, rows written. */
    private static String footprint(DatabaseUrl url) throws Exception {
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
            && out.contains("disk:") && out.contains("nothing was written"), out);
        assertTrue(out.contains("range 0 (-∞"), out);
        assertEquals(before, footprint(url), "a dry run creates and changes nothing");
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
