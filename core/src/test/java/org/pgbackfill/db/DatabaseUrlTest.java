package org.pgbackfill.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatabaseUrlTest {
    @Test
    void openWebUiForm() {
        DatabaseUrl u = DatabaseUrl.parse("postgresql://owui:s3cr%40t:x@db.internal:5433/openwebui?sslmode=require");
        assertEquals("jdbc:postgresql://db.internal:5433/openwebui?sslmode=require", u.jdbcUrl());
        assertEquals("owui", u.user());
        assertEquals("s3cr@t:x", u.properties().getProperty("password"));
        assertFalse(u.toString().contains("s3cr"), u.toString());
        assertTrue(u.toString().contains("***"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres://u:pw@h/db", "postgresql+psycopg2://u:pw@h/db", "postgresql://u:pw@h:5432/db"})
    void schemeVariants(String url) {
        DatabaseUrl u = DatabaseUrl.parse(url);
        assertTrue(u.jdbcUrl().startsWith("jdbc:postgresql://h"), u.jdbcUrl());
        assertTrue(u.jdbcUrl().endsWith("/db"), u.jdbcUrl());
        assertEquals("pw", u.properties().getProperty("password"));
        assertFalse(u.toString().contains("pw"));
    }

    @Test
    void jdbcFormKeepsParametersButNotCredentials() {
        DatabaseUrl u = DatabaseUrl.parse("jdbc:postgresql://localhost:5432/owui?user=postgres&password=hunter2&ssl=true");
        assertEquals("jdbc:postgresql://localhost:5432/owui?ssl=true", u.jdbcUrl());
        assertEquals("postgres", u.user());
        assertEquals("hunter2", u.properties().getProperty("password"));
        assertFalse(u.toString().contains("hunter2"), u.toString());
    }

    @Test
    void noCredentials() {
        DatabaseUrl u = DatabaseUrl.parse("postgresql://127.0.0.1/postgres");
        assertNull(u.user());
        assertTrue(u.properties().isEmpty());
    }

    @Test
    void credentialsSurviveARoundTripThroughAJdbcUrl() {
        DatabaseUrl u = DatabaseUrl.parse("postgresql://owui:p%40ss&w%3Drd@h:5432/db?sslmode=disable");
        DatabaseUrl back = DatabaseUrl.parse(u.jdbcUrlWithCredentials());
        assertEquals(u.jdbcUrl(), back.jdbcUrl());
        assertEquals("owui", back.user());
        assertEquals("p@ss&w=rd", back.properties().getProperty("password"));
        assertFalse(back.toString().contains("p@ss"));
    }

    @Test
    void withDatabaseSwapsOnlyTheName() {
        DatabaseUrl u = DatabaseUrl.parse("postgresql://u:pw@h:5432/a?sslmode=disable").withDatabase("b");
        assertEquals("jdbc:postgresql://h:5432/b?sslmode=disable", u.jdbcUrl());
        assertEquals("pw", u.properties().getProperty("password"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "mysql://u:pw@h/db", "postgresql://u:pw@h:port/db", "postgresql://u:pw@h", "postgresql://u:pw@/db",
        "jdbc:mysql://h/db", "localhost:5432"})
    void malformedUrlsFailWithoutShowingThePassword(String url) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DatabaseUrl.parse(url));
        assertFalse(e.getMessage().contains("pw"), e.getMessage());
    }

    /** Issue #14: a password pasted unencoded with a '%' (as libpq accepts it) is taken literally, not refused. */
    @Test
    void anUnencodedPercentInThePasswordIsLiteral() {
        DatabaseUrl u = DatabaseUrl.parse("postgresql://owui:50%off%@db:5432/openwebui");
        assertEquals("50%off%", u.properties().getProperty("password"));
        assertEquals("p@ss", DatabaseUrl.parse("postgresql://owui:p%40ss@db/openwebui").properties().getProperty("password"));
    }

    /** Issue #14: a bad sslmode is bad usage (exit 2), found before any connection is tried. */
    @Test
    void anUnknownSslmodeIsRefusedWithTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> DatabaseUrl.parse("postgresql://u:hunter2@h/db?sslmode=bogus"));
        assertTrue(e.getMessage().contains("sslmode 'bogus'") && e.getMessage().contains("verify-full"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DatabaseUrl.parse("jdbc:postgresql://h/db?sslmode=bogus"));
    }

    /** Issue #14: libpq's Unix-socket form is refused saying that only TCP is supported and how to connect. */
    @ParameterizedTest
    @ValueSource(strings = {"postgresql://u:hunter2@/db?host=/var/run/postgresql", "postgresql://u:hunter2@localhost/db?host=%2Fvar%2Frun%2Fpostgresql",
        "jdbc:postgresql:///db"})
    void unixSocketUrlsSayOnlyTcpIsSupported(String url) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DatabaseUrl.parse(url));
        assertTrue(e.getMessage().contains("only TCP") && e.getMessage().contains("localhost:5432"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    /** Any text echoing a URL (a picocli message) loses the user-info part and password= values. */
    @Test
    void redactHidesEveryPasswordInText() {
        String r = DatabaseUrl.redact("Unmatched argument at index 1: 'postgresql://u:p@ss/w@db:5432/x' and jdbc:postgresql://h/x?user=u&password=s3cret");
        assertFalse(r.contains("p@ss") || r.contains("s3cret") || r.contains("ss/w"), r);
        assertTrue(r.contains("postgresql://***@db:5432/x") && r.contains("password=***"), r);
    }
}
