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

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

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

    /** history.messages when the document is an object holding that object (and PostgreSQL can read its text), else an empty object. */
    private static final String MESSAGES = "(CASE WHEN strpos(chat::text, '\\u0000') = 0 AND json_typeof(chat) = 'object' "
        + "AND json_typeof(chat->'history') = 'object' "
        + "AND json_typeof(chat->'history'->'messages') = 'object' THEN chat->'history'->'messages' ELSE '{}'::json END)";

    private static long count(DatabaseUrl url, String sql) throws Exception {
        return Long.parseLong(single(url, sql));
    }

    @Test
    void seedsADatabaseAt856c5b02fb54AsTheRevisionsAndTheAppLeaveIt() throws Exception {
        DatabaseUrl url = pg.createDatabase("upgraded", "");
        assertEquals(0, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--revision", "856c5b02fb54",
            "--chats", "400", "--mean-kb", "8", "--edge-share", "0.05", "--shared-share", "0.05", "--seed", "5"));
        assertEquals("856c5b02fb54", single(url, "SELECT version_num FROM alembic_version"));
        // the columns the revisions leave (a3dd5bedd151, b7c8d9e0f1a2; 8452d01d26d7, 4c5ce3d2f27f, 856c5b02fb54), and the tables they create
        String columns = "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns "
            + "WHERE table_schema = current_schema() AND table_name = ";
        assertEquals("id character varying, user_id character varying, title text, created_at bigint, updated_at bigint, share_id text, "
            + "archived boolean, chat json, pinned boolean, meta json, folder_id text, tasks json, summary text, last_read_at bigint",
            single(url, columns + "'chat'"));
        assertEquals("id text, chat_id text, user_id text, role text, parent_id text, content json, output json, model_id text, files json, "
            + "sources json, embeds json, done boolean, status_history json, error json, usage json, created_at bigint, updated_at bigint, "
            + "context_summary text, meta json", single(url, columns + "'chat_message'"));
        assertEquals("access_grant, alembic_version, automation, automation_run, calendar, calendar_event, calendar_event_attendee, chat, "
            + "chat_message, knowledge_directory, pinned_note, shared_chat, skill",
            single(url, "SELECT string_agg(table_name, ', ' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = current_schema()"));
        assertEquals("f", single(url, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname LIKE 'pgbackfill%')").substring(0, 1),
            "no trace of the tool's own schema, as after upstream's revision");
        assertTrue(count(url, "SELECT count(*) FROM chat_message") > 1000, "chat_message filled");
        assertEquals(0, count(url, "SELECT count(*) FROM chat_message m WHERE NOT EXISTS (SELECT 1 FROM chat c WHERE c.id = m.chat_id)"));

        // shared chats: the old copies moved into shared_chat by c1d2e3f4a5b6 (with their grant), and shares made by the app since
        assertEquals(0, count(url, "SELECT count(*) FROM chat WHERE user_id LIKE 'shared-%'"));
        assertTrue(count(url, "SELECT count(*) FROM shared_chat s JOIN access_grant g ON g.resource_type = 'shared_chat' "
            + "AND g.resource_id = s.chat_id AND g.principal_id = '*'") > 0, "migrated shares");
        assertTrue(count(url, "SELECT count(*) FROM shared_chat s WHERE NOT EXISTS (SELECT 1 FROM access_grant g WHERE g.resource_id = s.chat_id)") > 0,
            "shares made by the app");
        assertTrue(count(url, "SELECT count(*) FROM chat c JOIN shared_chat s ON s.id = c.share_id AND s.chat_id = c.id") > 0);

        // rows deleted by the app: chats whose document has messages and no row left, and chats missing some of their messages' rows
        assertTrue(count(url, "SELECT count(*) FROM chat c WHERE EXISTS (SELECT 1 FROM json_each(" + MESSAGES + ") m "
            + "WHERE json_typeof(m.value) = 'object' AND m.value->>'role' <> '') AND NOT EXISTS (SELECT 1 FROM chat_message r WHERE r.chat_id = c.id)") > 0);
        assertTrue(count(url, "SELECT count(*) FROM chat c WHERE EXISTS (SELECT 1 FROM chat_message r WHERE r.chat_id = c.id) "
            + "AND EXISTS (SELECT 1 FROM json_each(" + MESSAGES + ") m WHERE json_typeof(m.value) = 'object' AND m.value->>'role' <> '' "
            + "AND NOT EXISTS (SELECT 1 FROM chat_message r WHERE r.id = c.id || '-' || m.key))") > 0);
        // rows whose parent names no row of the chat (their parent's row is gone)
        assertTrue(count(url, "SELECT count(*) FROM chat_message r WHERE r.parent_id IS NOT NULL AND NOT EXISTS "
            + "(SELECT 1 FROM chat_message p WHERE p.id = r.chat_id || '-' || r.parent_id)") > 0);
        // rows edited by the app: updated after they were created
        assertTrue(count(url, "SELECT count(*) FROM chat_message WHERE updated_at > created_at") > 0);
        // history.currentId naming neither a message of the document nor a row
        assertTrue(count(url, "SELECT count(*) FROM (SELECT id, " + MESSAGES + " AS messages, CASE WHEN strpos(chat::text, '\\u0000') = 0 "
            + "AND json_typeof(chat->'history') = 'object' AND json_typeof(chat->'history'->'currentId') = 'string' "
            + "THEN chat->'history'->>'currentId' END AS current FROM chat) c WHERE current IS NOT NULL AND messages -> current IS NULL "
            + "AND NOT EXISTS (SELECT 1 FROM chat_message r WHERE r.id = c.id || '-' || current)") > 0);
        // regenerated replies: several replies to one message with the same created_at, one of them the document's currentId
        String tied = "SELECT chat_id, parent_id, created_at FROM chat_message WHERE role = 'assistant' AND created_at IS NOT NULL "
            + "GROUP BY 1, 2, 3 HAVING count(*) >= 2";
        assertTrue(count(url, "SELECT count(*) FROM (" + tied + ") t") > 0);
        assertTrue(count(url, "SELECT count(*) FROM (" + tied + ") t JOIN chat c ON c.id = t.chat_id JOIN chat_message r "
            + "ON r.chat_id = t.chat_id AND r.parent_id = t.parent_id AND r.created_at = t.created_at "
            + "AND r.id = c.id || '-' || (c.chat->'history'->>'currentId') "
            + "WHERE json_array_length(" + MESSAGES.replace("chat->", "c.chat->").replace("(chat)", "(c.chat)")
            + " -> t.parent_id -> 'childrenIds') >= 3") > 0, "the document has the new replies as the parent's children");
        assertTrue(count(url, "SELECT count(*) FROM chat_message WHERE created_at > 10000000000") > 0, "a time in milliseconds");
    }

    @Test
    void refusesRevisionsItCannotMake() throws Exception {
        DatabaseUrl url = pg.createDatabase("norev", "");
        assertEquals(2, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--revision", "8452d01d26d7"));
        assertTrue(console.output().contains("seed cannot make a database at revision 8452d01d26d7; it makes 374d2f66af06")
            && console.output().contains("and 856c5b02fb54"), console.output());
        assertEquals("f", single(url, "SELECT (to_regclass('chat') IS NOT NULL)::text").substring(0, 1), "nothing created");
        // at 856c5b02fb54 the database must be empty
        assertEquals(0, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--chats", "5"));
        assertEquals(2, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--chats", "5", "--revision", "856c5b02fb54"));
        assertEquals("374d2f66af06", single(url, "SELECT version_num FROM alembic_version"));
    }
}
