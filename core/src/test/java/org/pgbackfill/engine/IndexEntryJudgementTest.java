package org.pgbackfill.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.schema.TargetSchema;
import org.pgbackfill.testing.ExpectedRow;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;
import org.pgbackfill.testing.VersionMatrix;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which long values fit in an index entry is judged as upstream judges it (SPEC 6): upstream
 * creates chat_message with its indexes and inserts row by row, each entry compressed with the
 * server's default TOAST compression (pglz unless configured). The oracle here is exactly that: a
 * table with upstream's definition and indexes, and one INSERT per expected row, in upstream's order.
 * The values are random text of many lengths and degrees of repetition around the entry limit, as
 * message keys (the primary key), models and parent ids: pglz and lz4 disagree on some of them,
 * which matters where the server has lz4 (pgbackfill's table uses it).
 */
@VersionMatrix
class IndexEntryJudgementTest {
    static final long NOW = BackfillPipelineTest.NOW;

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void longValuesFitExactlyWhereUpstreamsRowByRowInsertFitsThem() throws Exception {
        DatabaseUrl url = pg.createDatabase("offline", "");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            insertChats(c);
        }
        new Backfill(BackfillPipelineTest.config(url, 2).build()).run();
        assertAsUpstream(url);
    }

    /** The same values written by the application during an online run: the catch-up judges them the same way. */
    @Test
    void theCatchUpJudgesThemTheSameWay() throws Exception {
        DatabaseUrl url = pg.createDatabase("online", "");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            OpenWebUiDatabase.insertChat(c, "a", "u", "{\"history\":{\"messages\":{\"q\":{\"role\":\"user\"}}}}");
        }
        new Backfill(BackfillPipelineTest.config(url, 2).mode(BackfillConfig.Mode.ONLINE).build()).run();
        try (Connection c = PostgresFixture.connect(url)) {
            insertChats(c);
        }
        new Backfill(BackfillPipelineTest.config(url, 2).mode(BackfillConfig.Mode.FINISH).build()).run();
        assertAsUpstream(url);
    }

    private static void insertChats(Connection c) throws SQLException {
        Random random = new Random(42);
        for (int i = 0; i < 120; i++) {
            String value = value(random, 2400 + random.nextInt(4000));
            String message = switch (i % 3) {
                case 0 -> "\"" + value + "\":{\"role\":\"user\"}";
                case 1 -> "\"m\":{\"role\":\"assistant\",\"model\":\"" + value + "\"}";
                default -> "\"m\":{\"role\":\"assistant\",\"parentId\":\"" + value + "\"}";
            };
            OpenWebUiDatabase.insertChat(c, String.format("c%03d", i), "u", "{\"history\":{\"messages\":{" + message
                + ",\"short\":{\"role\":\"user\"}}}}");
        }
    }

    /** chat_message holds exactly the rows upstream's row-by-row INSERT stores, and the others are recorded. */
    private static void assertAsUpstream(DatabaseUrl url) throws SQLException {
        Set<String> upstreamStores = new TreeSet<>(), upstreamFails = new TreeSet<>();
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            ReferenceBackfill.Expectation expected = ReferenceBackfill.run(c, NOW);
            st.execute("CREATE SCHEMA upstream");
            st.execute("SET search_path = upstream, public");
            st.execute(TargetSchema.CREATE_TABLE);
            for (org.pgbackfill.schema.Index ix : TargetSchema.INDEXES) st.execute(ix.ddl());
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat_message (id, chat_id, user_id, role, parent_id, model_id, "
                    + "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (ExpectedRow r : expected.rows().values()) {
                    java.sql.Savepoint sp = c.setSavepoint();
                    ps.setString(1, r.id());
                    ps.setString(2, r.chatId());
                    ps.setString(3, r.userId());
                    ps.setString(4, r.role());
                    ps.setString(5, r.parentId());
                    ps.setString(6, r.modelId());
                    ps.setLong(7, r.createdAt());
                    ps.setLong(8, r.updatedAt());
                    try {
                        ps.executeUpdate();
                        upstreamStores.add(r.id());
                    } catch (SQLException e) {
                        if (!"54000".equals(e.getSQLState())) throw e;
                        c.rollback(sp);
                        upstreamFails.add(r.id());
                    }
                }
            }
            c.rollback();   // the oracle leaves nothing behind
            assertTrue(upstreamFails.size() > 10 && upstreamStores.size() > expected.rows().size() / 2 + 10,
                "the values straddle the limit: " + upstreamFails.size() + " fail, " + upstreamStores.size() + " fit");
        }
        try (Connection c = PostgresFixture.connect(url)) {
            assertEquals(upstreamStores, ids(c, "SELECT id FROM chat_message"), "the rows upstream's INSERT stores");
            assertEquals(upstreamFails, ids(c, "SELECT chat_id || '-' || message_key FROM pgbackfill.rejected_message "
                + "WHERE reason = 'INDEX_ROW_TOO_LARGE'"), "the rows upstream's INSERT fails on, recorded");
            System.out.println("[IndexEntryJudgementTest] " + PostgresFixture.serverDescription() + ", table compression "
                + PipelineAssertions.single(c, "SELECT toast_compression FROM pgbackfill.run") + ": " + upstreamStores.size()
                + " rows fit, " + upstreamFails.size() + " do not");
        }
    }

    /** Text of {@code length} characters, from fully random to highly repetitive: compressible to every degree. */
    private static String value(Random random, int length) {
        int alphabet = 2 + random.nextInt(60);
        int repeat = random.nextInt(4) == 0 ? 1 + random.nextInt(40) : 0;   // sometimes a repeated chunk
        StringBuilder b = new StringBuilder(length);
        String chunk = null;
        while (b.length() < length) {
            if (repeat > 0 && chunk != null && random.nextInt(3) == 0) {
                b.append(chunk);
            } else {
                int n = 1 + random.nextInt(Math.max(1, repeat == 0 ? 8 : repeat));
                StringBuilder c = new StringBuilder(n);
                for (int i = 0; i < n; i++) c.append((char) ('0' + random.nextInt(alphabet)));
                chunk = c.toString();
                b.append(chunk);
            }
        }
        return b.substring(0, length).replace("\\", "/").replace("\"", "'");
    }

    private static Set<String> ids(Connection c, String sql) throws SQLException {
        Set<String> ids = new TreeSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) ids.add(rs.getString(1));
        }
        return ids;
    }
}
