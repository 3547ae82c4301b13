package org.pgbackfill.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The PgBouncer fixture is a real pooler, in the mode asked for, passing each user on to the server. */
@VersionMatrix
class PgBouncerTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    /** In transaction pooling, two clients between transactions share one server session; in session pooling they never do. */
    @Test
    void poolModesShareServerSessionsAsPgBouncerDoes() throws Exception {
        try (PgBouncer tx = PgBouncer.start(PgBouncer.PoolMode.TRANSACTION);
             Connection a = PostgresFixture.connect(tx.url(pg.url()));
             Connection b = PostgresFixture.connect(tx.url(pg.url()))) {
            int pidA = backendPid(a);
            assertEquals(pidA, backendPid(b), "transaction pooling: b gets the server session a left idle\n" + tx.log());
            assertEquals(pg.databaseName(), single(b, "SELECT current_database()"));
        }
        try (PgBouncer session = PgBouncer.start(PgBouncer.PoolMode.SESSION);
             Connection a = PostgresFixture.connect(session.url(pg.url()));
             Connection b = PostgresFixture.connect(session.url(pg.url()))) {
            assertNotEquals(backendPid(a), backendPid(b), "session pooling: each client keeps its own server session");
            assertTrue(single(a, "SELECT setting FROM pg_settings WHERE name = 'port'").matches("\\d+"));
        }
    }

    @Test
    void usersArePassedOnAndUnknownOnesRefused() throws Exception {
        String role = "bouncer_reader_" + Long.toHexString(System.nanoTime());
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN");
        }
        try (PgBouncer bouncer = PgBouncer.start(PgBouncer.PoolMode.TRANSACTION)) {
            DatabaseUrl asRole = bouncer.url(DatabaseUrl.parse(pg.url().jdbcUrl() + (pg.url().jdbcUrl().contains("?") ? "&" : "?") + "user=" + role));
            SQLException refused = assertThrows(SQLException.class, () -> PostgresFixture.connect(asRole).close());
            // PgBouncer refuses a user its auth file does not list, before the server is asked
            assertTrue(String.valueOf(refused.getMessage()).contains("authentication failed"), refused.getMessage());
            bouncer.allowUser(role);
            try (Connection c = PostgresFixture.connect(asRole)) {
                assertEquals(role, single(c, "SELECT current_user"));
                assertEquals("false", single(c, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"));
            }
        } finally {
            try (Connection c = pg.connect(); Statement st = c.createStatement()) {
                st.execute("DROP ROLE IF EXISTS " + role);
            }
        }
    }

    private static int backendPid(Connection c) throws SQLException {
        return Integer.parseInt(single(c, "SELECT pg_backend_pid()"));
    }

    private static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
