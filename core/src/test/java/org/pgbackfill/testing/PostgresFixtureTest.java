package org.pgbackfill.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.opentest4j.TestAbortedException;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.embedded.EmbeddedServer;

@VersionMatrix
class PostgresFixtureTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    /** Tests that crash or stop the server get the embedded one this JVM started, or are skipped: never another server. */
    @Test
    void onlyTheServerTheSuiteStartedIsHandedOutToBreak() throws SQLException {
        boolean given = System.getenv(PostgresFixture.URL_VARIABLE) != null || Boolean.getBoolean(PostgresFixture.DOCKER_PROPERTY);
        if (given) {
            TestAbortedException skipped = assertThrows(TestAbortedException.class, PostgresFixture::ownServer);
            assertTrue(skipped.getMessage().contains("did not start"), skipped.getMessage());
            return;
        }
        EmbeddedServer own = PostgresFixture.ownServer();
        assertTrue(own.isRunning());
        assertEquals(PostgresFixture.serverUrl().jdbcUrl(), own.adminUrl().jdbcUrl(), "the tests' server is the embedded one");
        assertNotEquals(5432, own.port(), "not the machine's own server's port");
        try (Connection c = pg.connect()) {
            assertEquals(own.directory().resolve("data").toString(), one(c, "SHOW data_directory"));
        }
    }

    @Test
    void freshDatabaseIsEmptyAndNamedForTheClass() throws SQLException {
        assertTrue(pg.databaseName().startsWith("pgbt_postgresfixturetest_"), pg.databaseName());
        try (Connection c = pg.connect()) {
            assertEquals(pg.databaseName(), one(c, "SELECT current_database()"));
            assertEquals("0", one(c, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"));
            assertEquals("UTF8", one(c, "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()"));
        }
    }

    @Test
    void databasesAreDroppedOnCloseEvenWithOpenConnections() throws SQLException {
        PostgresFixture other = new PostgresFixture();
        other.open("dropcheck");
        String main = other.databaseName();
        String extra = other.url().toString(); // for the message only
        DatabaseUrl extraUrl = other.createDatabase("extra", "");
        try (Connection held = other.connect(); Connection heldExtra = PostgresFixture.connect(extraUrl)) {
            assertTrue(held.isValid(2) && heldExtra.isValid(2));
            assertTrue(exists(main), extra);
            assertTrue(exists(main + "_extra"));
            other.close(); // FORCE cuts the two connections we still hold
        }
        assertTrue(!exists(main), main + " still exists");
        assertTrue(!exists(main + "_extra"), main + "_extra still exists");
    }

    @Test
    void icuDatabaseSortsTheEnglishWay() throws SQLException {
        DatabaseUrl icu = pg.createDatabase("icu", PostgresFixture.ICU_EN_US);
        String sort = "SELECT string_agg(x, ' ' ORDER BY x) FROM (VALUES ('a'), ('B'), ('a-b'), ('ab'), ('A'), ('_z')) v(x)";
        try (Connection c = PostgresFixture.connect(icu)) {
            assertEquals("i", one(c, "SELECT datlocprovider FROM pg_database WHERE datname = current_database()"));
            assertEquals("_z a A a-b ab B", one(c, sort));
        }
        try (Connection c = pg.connect()) {
            assertEquals("A B _z a a-b ab", one(c, sort + " -- default database: C order"));
        }
    }

    private static boolean exists(String db) throws SQLException {
        try (Connection c = PostgresFixture.connect(PostgresFixture.serverUrl());
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_database WHERE datname = ?")) {
            ps.setString(1, db);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1) == 1;
            }
        }
    }

    static String one(Connection c, String sql) throws SQLException {
        try (var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
