package org.pgbackfill.engine;

import org.pgbackfill.schema.TargetSchema;
import org.pgbackfill.testing.ChatMessageComparison;
import org.pgbackfill.testing.ExpectedChatRejection;
import org.pgbackfill.testing.ExpectedMessageRejection;
import org.pgbackfill.testing.ExpectedReason;
import org.pgbackfill.testing.ReferenceBackfill;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every finished run must leave: the reference's rows and rejections, upstream's schema, the stamp, no staging. */
final class PipelineAssertions {
    private PipelineAssertions() { }

    static void assertFinishedRun(Connection c, ReferenceBackfill.Expectation expected, String schema) throws SQLException {
        ChatMessageComparison.assertMatches(c, expected);
        ChatMessageComparison.assertNoDifferences("message rejections",
            ChatMessageComparison.rejectionDifferences(expected.messageRejections(), readMessageRejections(c, schema)));
        ChatMessageComparison.assertNoDifferences("chat rejections",
            ChatMessageComparison.chatRejectionDifferences(expected.chatRejections(), readChatRejections(c, schema)));
        assertTargetSchema(c);
        assertEquals(TargetSchema.REVISION_AFTER, single(c, "SELECT version_num FROM alembic_version"));
        assertEquals("range,rejected_chat,rejected_message,run", single(c, "SELECT string_agg(relname, ',' ORDER BY relname COLLATE \"C\") "
            + "FROM pg_class WHERE relnamespace = '" + schema + "'::regnamespace AND relkind = 'r'"),
            "the tool's schema keeps its record of the run and the rejections, nothing else (no change log, no work table)");
        assertEquals("0", single(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN "
            + "('chat', 'chat_message', 'alembic_version')"), "nothing of the tool's lands in Open WebUI's schema");
    }

    static List<ExpectedMessageRejection> readMessageRejections(Connection c, String schema) throws SQLException {
        List<ExpectedMessageRejection> out = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT chat_id, message_key_json, reason, raw_json FROM " + schema + ".rejected_message")) {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            while (rs.next()) {
                assertFalse(rs.getString(4) == null || rs.getString(4).isEmpty(), "a rejection keeps the raw message JSON");
                assertFalse(rs.getString(2) == null, "a rejection keeps its key exactly, as JSON");
                String key;
                try {
                    key = json.readValue(rs.getString(2), String.class);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new AssertionError("message_key_json is not a JSON string: " + rs.getString(2), e);
                }
                out.add(new ExpectedMessageRejection(rs.getString(1), key, ExpectedReason.valueOf(rs.getString(3)), null));
            }
        }
        return out;
    }

    static List<ExpectedChatRejection> readChatRejections(Connection c, String schema) throws SQLException {
        List<ExpectedChatRejection> out = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT chat_id, reason FROM " + schema + ".rejected_chat")) {
            while (rs.next()) out.add(new ExpectedChatRejection(rs.getString(1), ExpectedReason.valueOf(rs.getString(2))));
        }
        return out;
    }

    /** Table, primary key, seven indexes and the validated foreign key exactly as upstream defines them. */
    static void assertTargetSchema(Connection c) throws SQLException {
        org.pgbackfill.testing.UpstreamSchema.assertChatMessage(c);
    }

    static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), "no row from " + sql);
            return rs.getString(1);
        }
    }

    /** {@code length} characters no compression shrinks much (too long for an index entry past ~2.7 kB). */
    static String incompressible(int length, long seed) {
        StringBuilder random = new StringBuilder();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        while (random.length() < length) random.append(Long.toString(rnd.nextLong() >>> 1, 36));
        return random.substring(0, length);
    }
}
