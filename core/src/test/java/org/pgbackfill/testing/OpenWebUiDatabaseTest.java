package org.pgbackfill.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;

class OpenWebUiDatabaseTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void schemaIsStampedAndChatsKeepTheirText() throws SQLException {
        try (Connection c = pg.connect()) {
            OpenWebUiDatabase.createSchema(c);
            assertEquals("374d2f66af06", PostgresFixtureTest.one(c, "SELECT version_num FROM alembic_version"));
            assertEquals("p", PostgresFixtureTest.one(c, "SELECT contype FROM pg_constraint WHERE conname = 'chat_pkey'"));
            String doc = "{\"b\": 1, \"a\": \"\\ud800\\u0000\", \"b\": 2}";
            OpenWebUiDatabase.insertChat(c, "c1", null, doc);
            OpenWebUiDatabase.insertChat(c, "c2", "u", null);
            assertEquals(doc, PostgresFixtureTest.one(c, "SELECT chat::text FROM chat WHERE id = 'c1'"));
            assertNull(PostgresFixtureTest.one(c, "SELECT chat::text FROM chat WHERE id = 'c2'"));
            assertThrows(SQLException.class, () -> OpenWebUiDatabase.insertChat(c, "c3", "u", "{bad"));
        }
    }

    @Test
    void legacySchemaHasUniqueIdAndNoPrimaryKey() throws SQLException {
        DatabaseUrl legacy = pg.createDatabase("legacy", "");
        try (Connection c = PostgresFixture.connect(legacy)) {
            OpenWebUiDatabase.createLegacySchema(c);
            assertEquals("u", PostgresFixtureTest.one(c,
                "SELECT string_agg(contype::text, ',') FROM pg_constraint WHERE conrelid = 'chat'::regclass"
                    + " AND contype IN ('p', 'u') AND conname <> 'chat_share_id_key'"));
            assertEquals("character varying(255)", PostgresFixtureTest.one(c,
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'chat'::regclass AND attname = 'id'"));
            OpenWebUiDatabase.insertChats(c, List.of(new Fixture("x", "x", "u", "{}"), new Fixture("y", "y", "u", "[]")));
            assertEquals("2", PostgresFixtureTest.one(c, "SELECT count(*) FROM chat"));
            try (Statement st = c.createStatement()) {
                assertThrows(SQLException.class, () -> st.execute("INSERT INTO chat (id, meta) VALUES ('x', '{}')"));
            }
        }
    }
}
