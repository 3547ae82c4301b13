package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The second job from the command line, as an operator upgrading to 0.11 meets it: seed at
 * 856c5b02fb54, path, run (which picks current_message_id from the revision), verify, and verify
 * finding a value someone changed.
 */
class SecondJobCommandsTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    /** Everything printed so far (standard output, then standard error): each check looks for lines only its command prints. */
    private String since() { return console.output(); }

    @Test
    void fromSeedAt856c5b02fb54ToAVerifiedStamp() throws Exception {
        DatabaseUrl url = pg.createDatabase("second", "");
        String db = url.jdbcUrlWithCredentials();
        assertEquals(0, Main.execute("seed", "--database-url", db, "--chats", "300", "--seed", "3", "--revision", "856c5b02fb54"));
        since();

        assertEquals(0, Main.execute("path", "--database-url", db));
        String path = since();
        assertTrue(path.contains("1. pgbackfill runs 9a1b2c3d4e5f"), path);

        assertEquals(0, Main.execute("run", "--database-url", db, "--workers", "2"));
        String run = since();
        assertTrue(run.contains("running the current_message_id job"), run);
        assertTrue(run.contains("done: Alembic revision is now 9a1b2c3d4e5f"), run);

        long valued;
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE current_message_id IS NOT NULL), "
                 + "(SELECT version_num FROM alembic_version) FROM chat")) {
            rs.next();
            valued = rs.getLong(1);
            assertEquals("9a1b2c3d4e5f", rs.getString(2));
        }
        assertTrue(valued > 200, "chats with a value: " + valued);

        assertEquals(0, Main.execute("verify", "--database-url", db, "--quiet"));
        String verified = since();
        assertTrue(verified.contains("OK: every chat's current_message_id is SPEC 7's value"), verified);

        String tampered;
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT id FROM chat WHERE current_message_id IS NOT NULL ORDER BY id LIMIT 1")) {
                rs.next();
                tampered = rs.getString(1);
            }
            st.execute("UPDATE chat SET current_message_id = 'not-the-value' WHERE id = '" + tampered + "'");
        }
        assertEquals(VerifyCommand.MISMATCHES, Main.execute("verify", "--database-url", db, "--quiet"));
        String mismatch = since();
        assertTrue(mismatch.contains("chat " + tampered + ": current_message_id should be") && mismatch.contains("it is 'not-the-value'"),
            mismatch);
        // (verify --job chat_message would list the app's own changes to chat_message since 8452d01d26d7: it is the first job's check)
    }
}
