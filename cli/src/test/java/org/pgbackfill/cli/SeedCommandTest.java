package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `pgbackfill seed`: Open WebUI-shaped documents, the requested edge cases, and the same data for the same seed. */
class SeedCommandTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static String single(DatabaseUrl url, String sql) throws Exception {
        try (Connection c = PostgresFixture.connect(url); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static final String FINGERPRINT = "SELECT md5(string_agg(id || coalesce(user_id, '~') || coalesce(chat::text, '~'), '|' ORDER BY id)) FROM chat";

    @Test
    void sameSeedSameChatsOtherSeedOtherChats() throws Exception {
        DatabaseUrl a = pg.createDatabase("a", ""), b = pg.createDatabase("b", ""), c = pg.createDatabase("c", "");
        assertEquals(0, Main.execute("seed", "--database-url", a.jdbcUrlWithCredentials(), "--chats", "150", "--seed", "7", "--connections", "2"));
        assertEquals(0, Main.execute("seed", "--database-url", b.jdbcUrlWithCredentials(), "--chats", "150", "--seed", "7", "--connections", "1"));
        assertEquals(0, Main.execute("seed", "--database-url", c.jdbcUrlWithCredentials(), "--chats", "150", "--seed", "8"));
        assertEquals(single(a, FINGERPRINT), single(b, FINGERPRINT));
        assertNotEquals(single(a, FINGERPRINT), single(c, FINGERPRINT));
        assertEquals("150", single(a, "SELECT count(*) FROM chat"));
        assertEquals("374d2f66af06", single(a, "SELECT version_num FROM alembic_version"));
    }

    @Test
    void documentsHaveOpenWebUisShape() throws Exception {
        DatabaseUrl url = pg.createDatabase("shape", "");
        assertEquals(0, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--chats", "200", "--edge-share", "0"));
        // every ordinary chat: history.messages is an object of messages with id/role/content, currentId among them,
        // the top-level messages array holds the current path
        assertEquals("0", single(url, "SELECT count(*) FROM chat WHERE user_id NOT LIKE 'shared-%' AND NOT ("
            + "json_typeof(chat->'history'->'messages') = 'object' "
            + "AND (chat->'history'->'messages') -> (chat->'history'->>'currentId') IS NOT NULL "
            + "AND json_typeof(chat->'messages') = 'array')"));
        assertEquals("0", single(url, "SELECT count(*) FROM chat, json_each(chat->'history'->'messages') m "
            + "WHERE m.value->>'role' NOT IN ('user', 'assistant') OR m.value->>'id' <> m.key OR m.value->'content' IS NULL"));
        // shared-link copies (user_id shared-…) are part of the mix: the backfill must skip them
        assertTrue(Long.parseLong(single(url, "SELECT count(*) FROM chat WHERE user_id LIKE 'shared-%'")) > 0);
    }

    @Test
    void edgeCasesAppearWhenAskedFor() throws Exception {
        DatabaseUrl url = pg.createDatabase("edge", "");
        assertEquals(0, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--chats", "400", "--edge-share", "1"));
        assertTrue(Long.parseLong(single(url, "SELECT count(*) FROM chat WHERE json_typeof(chat) = 'string'")) > 0, "double-encoded");
        assertTrue(Long.parseLong(single(url, "SELECT count(*) FROM chat WHERE json_typeof(chat) = 'array'")) > 0, "top-level arrays");
        assertTrue(Long.parseLong(single(url, "SELECT count(*) FROM chat WHERE chat IS NULL OR chat::text IN ('null', '{}', '[]', '\"\"', '0', 'false')")) > 0, "falsy");
        assertTrue(Long.parseLong(single(url, "SELECT count(*) FROM chat WHERE chat::text LIKE '%\\u0000%'")) > 0, "NUL escapes");
        assertTrue(Long.parseLong(single(url, "SELECT count(*) FROM chat WHERE user_id IS NULL")) > 0, "NULL user_id");
    }

    @Test
    void refusesToAddChatsToATableThatHasSome() throws Exception {
        DatabaseUrl url = pg.createDatabase("twice", "");
        assertEquals(0, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--chats", "10"));
        assertEquals(2, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--chats", "10", "--seed", "9"));
        assertEquals(0, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--chats", "10", "--seed", "9", "--append"));
        assertEquals("20", single(url, "SELECT count(*) FROM chat"));
    }
}
