package org.pgbackfill.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.opentest4j.AssertionFailedError;

/**
 * The comparison against a {@code chat_message} table filled straight from the reference: it must
 * see no difference, then report each deliberate corruption in words.
 */
class ChatMessageComparisonTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static final long NOW = EdgeCaseCorpus.DEFAULT_NOW;
    // SPEC.md section 3, for this test only (the production code owns the real DDL).
    private static final String CHAT_MESSAGE = "CREATE TABLE chat_message (id TEXT PRIMARY KEY, chat_id TEXT NOT NULL, "
        + "user_id TEXT, role TEXT NOT NULL, parent_id TEXT, content JSON, output JSON, model_id TEXT, files JSON, "
        + "sources JSON, embeds JSON, done BOOLEAN DEFAULT TRUE, status_history JSON, error JSON, usage JSON, "
        + "created_at BIGINT, updated_at BIGINT)";

    private static ReferenceBackfill.Expectation expected;

    @BeforeAll
    static void fillFromTheReference() throws SQLException {
        try (Connection c = pg.connect()) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, NOW);
            expected = ReferenceBackfill.run(c, NOW);
            try (Statement st = c.createStatement()) {
                st.execute(CHAT_MESSAGE);
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat_message VALUES "
                    + "(?, ?, ?, ?, ?, ?::json, ?::json, ?, ?::json, ?::json, ?::json, ?, ?::json, ?::json, ?::json, ?, ?)")) {
                for (ExpectedRow r : expected.rows().values()) {
                    ps.setString(1, r.id());
                    ps.setString(2, r.chatId());
                    ps.setString(3, r.userId());
                    ps.setString(4, r.role());
                    ps.setString(5, r.parentId());
                    ps.setString(6, ExactJson.toAsciiJson(r.content()));
                    ps.setString(7, ExactJson.toAsciiJson(r.output()));
                    ps.setString(8, r.modelId());
                    ps.setString(9, ExactJson.toAsciiJson(r.files()));
                    ps.setString(10, ExactJson.toAsciiJson(r.sources()));
                    ps.setString(11, ExactJson.toAsciiJson(r.embeds()));
                    if (r.done() == null) ps.setNull(12, Types.BOOLEAN); else ps.setBoolean(12, r.done());
                    ps.setString(13, ExactJson.toAsciiJson(r.statusHistory()));
                    ps.setString(14, ExactJson.toAsciiJson(r.error()));
                    ps.setString(15, ExactJson.toAsciiJson(r.usage()));
                    ps.setLong(16, r.createdAt());
                    ps.setLong(17, r.updatedAt());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
    }

    @Test
    void identicalTableMatches() throws SQLException {
        try (Connection c = pg.connect()) {
            assertTrue(expected.rows().size() > 250);
            ChatMessageComparison.assertMatches(c, expected);
        }
    }

    @Test
    void everyKindOfDifferenceIsReported() throws SQLException {
        String floatId = idOfChatNamed("json: float keeps its literal");
        String keyOrderId = idOfChatNamed("json: key order preserved");
        try (Connection c = pg.connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("DELETE FROM chat_message WHERE id = 'a-b-c'");
                st.execute("INSERT INTO chat_message (id, chat_id, role) VALUES ('zz-extra', 'zz', 'user')");
                st.execute("UPDATE chat_message SET role = 'USER', done = NULL, created_at = 1 WHERE id = 'Z-m'");
                st.execute("UPDATE chat_message SET usage = NULL WHERE id = '123-m'"); // SQL NULL, not JSON null
                st.execute("UPDATE chat_message SET content = '1.00' WHERE id = '" + floatId + "'");
                st.execute("UPDATE chat_message SET content = '{\"a\":2,\"z\":1,\"m\":{\"y\":1,\"b\":2}}' WHERE id = '" + keyOrderId + "'");
            }
            // Expected rows come in the reference's order (chat's physical order: the corpus's insertion order), then the extras.
            assertEquals(List.of(
                "row '" + floatId + "': content differs at $: expected 1.0 but was 1.00",
                "row '" + keyOrderId + "': content differs at $: expected keys in order [z, a, m] but was [a, z, m]",
                "missing row 'a-b-c' (chat 'a', role 'user')",
                "row 'Z-m': role expected 'user' but was 'USER'",
                "row 'Z-m': done expected true but was NULL",
                "row 'Z-m': created_at expected " + NOW + " but was 1",
                "row '123-m': usage differs at $: expected null but was SQL NULL",
                "unexpected row 'zz-extra' (chat 'zz', role 'user')"),
                ChatMessageComparison.differences(c, expected.rows()));
            AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> ChatMessageComparison.assertMatches(c, expected));
            assertTrue(e.getMessage().startsWith("8 difference(s) in chat_message against the reference:"), e.getMessage());
            c.rollback();
        }
    }

    @Test
    void rejectionsCompareByChatKeyAndReason() {
        List<ExpectedMessageRejection> e = expected.messageRejections();
        assertEquals(List.of(), ChatMessageComparison.rejectionDifferences(e, e));
        ExpectedMessageRejection first = e.get(0);
        ExpectedReason other = first.reason() == ExpectedReason.BAD_DONE ? ExpectedReason.NUL_IN_TEXT : ExpectedReason.BAD_DONE;
        List<ExpectedMessageRejection> changed = new ArrayList<>(e.subList(1, e.size()));
        changed.add(new ExpectedMessageRejection(first.chatId(), first.messageKey(), other, null));
        List<String> d = ChatMessageComparison.rejectionDifferences(e, changed);
        assertEquals(2, d.size(), d.toString());
        assertTrue(d.get(0).startsWith("missing rejection " + first.reason()), d.get(0));
        assertTrue(d.get(1).startsWith("unexpected rejection " + other), d.get(1));
    }

    private static String idOfChatNamed(String name) {
        return EdgeCaseCorpus.fixtures(NOW).stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow().chatId() + "-m";
    }
}
