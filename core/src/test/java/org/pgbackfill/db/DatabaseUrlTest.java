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
}
