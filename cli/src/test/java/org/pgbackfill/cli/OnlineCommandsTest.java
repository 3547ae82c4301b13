package org.pgbackfill.cli;

import org.pgbackfill.testing.VersionMatrix;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `run --online`, `status`, `pause`, `resume`, `finish` from the command line, and their refusals (exit 10). */
@VersionMatrix
class OnlineCommandsTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    void anOnlineRunFromStartToCutOver() throws Exception {
        DatabaseUrl url = pg.createDatabase("online", "");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, EdgeCaseCorpus.DEFAULT_NOW);
        }
        String db = url.jdbcUrlWithCredentials();
        assertEquals(10, Main.execute("finish", "--database-url", db));
        assertTrue(console.output().contains("no unfinished online run"), console.output());
        assertFalse(console.output().contains("plan"), "refused at the check, before any plan is started:\n" + console.output());
        assertEquals(10, Main.execute("pause", "--database-url", db));
        assertTrue(console.output().contains("no unfinished run"), console.output());

        assertEquals(0, Main.execute("run", "--online", "--database-url", db, "--workers", "2", "--max-rate", "100"));
        assertTrue(console.output().contains("online: chat_message is built and current, not stamped"), console.output());
        assertEquals(10, Main.execute("run", "--database-url", db));
        assertTrue(console.output().contains("is an online run") && console.output().contains("run pgbackfill finish")
            && console.output().contains("start over with pgbackfill run --restart"), "with the commands that complete it:\n" + console.output());

        // Open WebUI saves a chat after the online run
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            st.execute("UPDATE chat SET chat = '{\"history\":{\"messages\":{\"late\":{\"role\":\"user\",\"content\":\"after the run\"}}}}' "
                + "WHERE id = (SELECT min(id) FROM chat WHERE user_id NOT LIKE 'shared-%')");
        }
        assertEquals(0, Main.execute("pause", "--database-url", db));
        assertEquals(0, Main.execute("status", "--database-url", db, "--json"));
        String out = console.output();
        JsonNode status = new ObjectMapper().readTree(out.substring(out.lastIndexOf('{', out.lastIndexOf("\"run_id\""))));
        assertTrue(status.get("online").asBoolean() && status.get("paused").asBoolean(), status.toString());
        assertEquals(1, status.get("pending_changes").asLong(), status.toString());
        assertEquals(0, Main.execute("status", "--database-url", db));
        assertTrue(console.output().contains("PAUSED") && console.output().contains("1 changed chats waiting"), console.output());
        assertEquals(0, Main.execute("resume", "--database-url", db));
        assertTrue(console.output().contains("resumed"), console.output());

        assertEquals(0, Main.execute("finish", "--database-url", db));
        assertTrue(console.output().contains("Open WebUI had to be down for"), console.output());
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT content::text FROM chat_message WHERE id LIKE '%-late'")) {
                assertTrue(rs.next(), "the chat saved after the online run is caught up by finish");
                assertEquals("\"after the run\"", rs.getString(1));
            }
            try (ResultSet rs = st.executeQuery("SELECT version_num FROM alembic_version")) {
                rs.next();
                assertEquals("8452d01d26d7", rs.getString(1));
            }
        }
        assertEquals(0, Main.execute("verify", "--database-url", db));
        assertEquals(10, Main.execute("resume", "--database-url", db));
    }
}
