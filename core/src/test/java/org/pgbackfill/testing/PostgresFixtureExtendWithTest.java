package org.pgbackfill.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pgbackfill.db.DatabaseUrl;

/** The declarative form: the fixture and its URL arrive as parameters. */
@ExtendWith(PostgresFixture.class)
class PostgresFixtureExtendWithTest {
    @Test
    void parametersAreResolved(PostgresFixture pg, DatabaseUrl url) throws SQLException {
        assertEquals(pg.url().jdbcUrl(), url.jdbcUrl());
        try (Connection c = PostgresFixture.connect(url)) {
            assertEquals(pg.databaseName(), PostgresFixtureTest.one(c, "SELECT current_database()"));
        }
    }
}
