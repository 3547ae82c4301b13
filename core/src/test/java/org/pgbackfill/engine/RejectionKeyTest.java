package org.pgbackfill.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The key of a rejected message is stored losslessly (SPEC 6): message_key is TEXT and cannot hold
 * a NUL or a lone surrogate, so it shows them escaped, and a key spelled as that escape looks the
 * same there; message_key_json keeps each key exactly, so the two stay apart.
 */
class RejectionKeyTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void keysThatTextShowsAlikeStayApart() throws Exception {
        try (Connection c = pg.connect()) {
            OpenWebUiDatabase.createSchema(c);
            // keys: "a" NUL; "a\u0000" as six characters; a lone surrogate; a quote and a backslash
            OpenWebUiDatabase.insertChat(c, "k", "u", "{\"history\":{\"messages\":{\"a\\u0000\":{\"role\":\"user\"},"
                + "\"a\\\\u0000\":{\"role\":{\"o\":1}},\"\\udc00\":{\"role\":\"user\"},\"q\\\"\\\\\":{\"role\":[1]}}}}");
        }
        new Backfill(BackfillPipelineTest.config(pg.url(), 1).build()).run();
        try (Connection c = pg.connect()) {
            assertEquals("q\"\\|\"q\\\"\\\\\"|ARRAY_IN_TEXT; \\udc00|\"\\udc00\"|LONE_SURROGATE_IN_TEXT; "
                    + "a\\u0000|\"a\\u0000\"|NUL_IN_TEXT; a\\u0000|\"a\\\\u0000\"|OBJECT_IN_TEXT",
                PipelineAssertions.single(c, "SELECT string_agg(message_key || '|' || message_key_json || '|' || reason, '; ' "
                    + "ORDER BY reason COLLATE \"C\") FROM pgbackfill.rejected_message"));
            assertEquals("4", PipelineAssertions.single(c, "SELECT count(DISTINCT message_key_json) FROM pgbackfill.rejected_message"));
        }
    }
}
