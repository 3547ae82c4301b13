package org.pgbackfill.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pgbackfill verify} on the command line: exit 0 when chat_message matches, 9 with the mismatches listed, the usual codes otherwise. */
class VerifyCommandTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    static DatabaseUrl url;

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    /** The corpus and two plain chats, backfilled by `pgbackfill run`. */
    @BeforeAll
    static void backfill() throws Exception {
        url = pg.createDatabase("verify", "");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, EdgeCaseCorpus.DEFAULT_NOW);
            for (String id : new String[] {"plain-0", "plain-1"}) {
                OpenWebUiDatabase.insertChat(c, id, "u", "{\"history\":{\"messages\":{\"m0\":{\"role\":\"user\",\"content\":\"hi\"},"
                    + "\"m1\":{\"role\":\"assistant\",\"content\":{\"text\":\"hello\",\"n\":1.0}}}}}");
            }
        }
        assertEquals(0, Main.execute("run", "--database-url", url.jdbcUrlWithCredentials(), "--workers", "2", "--now-epoch", "1750000000", "--quiet"));
    }

    private String output() {
        return console.output();
    }

    private static void sql(String... statements) throws Exception {
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            for (String s : statements) st.execute(s);
        }
    }

    @Test
    void helpShowsTheOptionsExamplesAndExitCodes() {
        assertEquals(0, Main.execute("verify", "--help"));
        String o = output();
        for (String s : new String[] {"--sample", "--now-epoch", "--schema", "--max-mismatches", "--workers", "Examples", "9"}) {
            assertTrue(o.contains(s), s + " in " + o);
        }
    }

    @Test
    void aCorrectTableExitsZero() {
        String withPassword = BackfillChecks.withPassword(url);
        assertEquals(0, Main.execute("verify", "--database-url", withPassword, "--workers", "2"), output());
        String o = output();
        assertTrue(o.contains("mismatches: none") && o.contains("OK: chat_message matches chat"), o);
        assertTrue(o.contains("now for timestamp fallbacks: 1750000000 (run 1 in schema pgbackfill)"), o);
        assertTrue(o.contains("ranges,") && o.contains("chats checked"), "progress on stderr: " + o);
        assertFalse(o.contains(BackfillChecks.password(url)), o);
        assertEquals(0, Main.execute("verify", "--database-url", url.jdbcUrlWithCredentials(), "--sample", "50", "--quiet"), output());
        assertTrue(output().contains("a 50.0% sample"), output());
    }

    @Test
    void mismatchesExitNineAndAreListed() throws Exception {
        sql("UPDATE chat_message SET content = '{\"text\": \"hello\", \"n\": 1}' WHERE id = 'plain-1-m1'",
            "DELETE FROM chat_message WHERE id = 'plain-0-m0'");
        try {
            assertEquals(9, Main.execute("verify", "--database-url", url.jdbcUrlWithCredentials(), "--quiet"), output());
            String o = output();
            assertTrue(o.contains("mismatches: 2 (MISSING_ROW 1, CHANGED_ROW 1)"), o);
            assertTrue(o.contains("MISSING_ROW chat 'plain-0' row 'plain-0-m0': no row with this id"), o);
            assertTrue(o.contains("CHANGED_ROW chat 'plain-1' row 'plain-1-m1': content: expected {\"text\":\"hello\",\"n\":1.0} "
                + "but stored {\"text\": \"hello\", \"n\": 1}"), o);
            assertTrue(o.contains("MISMATCH: chat_message does not match chat (exit code 9)"), o);
            assertEquals(9, Main.execute("verify", "--database-url", url.jdbcUrlWithCredentials(), "--quiet", "--max-mismatches", "1"));
            assertTrue(output().contains("… and 1 more (--max-mismatches shows more)"), output());
        } finally {
            sql("UPDATE chat_message SET content = '{\"text\":\"hello\",\"n\":1.0}' WHERE id = 'plain-1-m1'",
                "INSERT INTO chat_message (id, chat_id, user_id, role, content, output, files, sources, embeds, done, status_history, "
                    + "error, usage, created_at, updated_at) VALUES ('plain-0-m0', 'plain-0', 'u', 'user', '\"hi\"', 'null', 'null', "
                    + "'null', 'null', true, 'null', 'null', 'null', 1750000000, 1750000000)");
        }
        assertEquals(0, Main.execute("verify", "--database-url", url.jdbcUrlWithCredentials(), "--quiet"), output());
    }

    @Test
    void failuresExitWithTheUsualCodes() throws Exception {
        assertEquals(2, Main.execute("verify", "--database-url", url.jdbcUrlWithCredentials(), "--sample", "0"));
        assertEquals(2, Main.execute("verify", "--database-url", "mysql://u:hunter2@h/db"));
        assertEquals(2, Main.execute("verify", "--no-such-flag"));
        assertEquals(3, Main.execute("verify", "--database-url", "postgresql://owui:hunter2@127.0.0.1:1/openwebui", "--quiet"));
        assertTrue(output().contains("cannot connect"), output());
        DatabaseUrl empty = pg.createDatabase("empty", "");
        assertEquals(5, Main.execute("verify", "--database-url", empty.jdbcUrlWithCredentials(), "--quiet"));
        String verifySaid = output();
        assertTrue(verifySaid.contains("no table 'alembic_version'"), verifySaid);
        assertEquals(5, Main.execute("run", "--database-url", empty.jdbcUrlWithCredentials(), "--quiet"));
        String refusal = verifySaid.substring(verifySaid.indexOf("no table 'alembic_version'")).lines().findFirst().orElseThrow();
        String both = output();
        assertEquals(2, both.split(java.util.regex.Pattern.quote(refusal), -1).length - 1, "verify says what run says: " + both);
        try (Connection c = PostgresFixture.connect(empty)) {
            OpenWebUiDatabase.createSchema(c);
        }
        assertEquals(4, Main.execute("verify", "--database-url", empty.jdbcUrlWithCredentials(), "--quiet"));
        assertTrue(output().contains("no table chat_message"), output());
        assertFalse(output().contains("hunter2"), output());
    }
}
