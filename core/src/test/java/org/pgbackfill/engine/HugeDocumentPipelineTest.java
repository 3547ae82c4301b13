package org.pgbackfill.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole run over a database holding a 120 MB chat, in a JVM limited to 256 MB of heap
 * (surefire's bounded-memory execution, see core/pom.xml): the document is spooled in chunks and
 * extracted in two passes, never held whole.
 */
class HugeDocumentPipelineTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void aHundredTwentyMegabyteChatUnderA256MegabyteHeap() throws Exception {
        assertTrue(Runtime.getRuntime().maxMemory() <= 300L << 20, "run with -Xmx256m");
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            OpenWebUiDatabase.createSchema(c);
            st.execute("INSERT INTO chat (id, user_id, chat) SELECT 'huge', 'u', json_build_object('history', json_build_object("
                + "'messages', json_object_agg('m' || g, json_build_object('role', 'user', 'content', repeat(chr(97 + g % 26), 80000), "
                + "'timestamp', 1717000000 + g))))::json FROM generate_series(0, 1499) g");
            OpenWebUiDatabase.insertChat(c, "small", "u", "{\"history\":{\"messages\":{\"a\":{\"role\":\"user\"}}}}");
            assertTrue(Long.parseLong(PipelineAssertions.single(c, "SELECT octet_length(chat::text) FROM chat WHERE id = 'huge'")) > 120_000_000L);
        }
        RunReport report = new Backfill(BackfillConfig.builder().database(pg.url()).workers(2).nowEpoch(1_750_000_000L).build()).run();
        assertEquals(1501, report.rowsWritten());
        try (Connection c = pg.connect()) {
            assertEquals("1500|80000|80000", PipelineAssertions.single(c, "SELECT count(*) || '|' || min(length(content #>> '{}')) || '|' "
                + "|| max(length(content #>> '{}')) FROM chat_message WHERE chat_id = 'huge'"));
            assertEquals("1717000000|1717001499", PipelineAssertions.single(c, "SELECT min(created_at) || '|' || max(created_at) FROM chat_message WHERE chat_id = 'huge'"));
        }
    }
}
