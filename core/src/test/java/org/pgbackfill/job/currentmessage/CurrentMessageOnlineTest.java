package org.pgbackfill.job.currentmessage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.BackfillException;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.Backfill;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.engine.RunReport;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgbackfill.job.currentmessage.CurrentMessageJobTest.one;

/**
 * The current_message_id job online: {@code run --online} while the old Open WebUI (856c5b02fb54)
 * writes chat and chat_message, then {@code finish}; every chat must hold what the reference computes
 * on the final tables, with each chat's column as it was before the run (the old application never
 * writes it, and upstream would see it so at the cut-over).
 */
class CurrentMessageOnlineTest {
    static final long NOW = CurrentMessageJobTest.NOW;

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    static BackfillConfig.Builder config(DatabaseUrl url, BackfillConfig.Mode mode) {
        return CurrentMessageJobTest.config(url, 2, null).mode(mode);
    }

    @Test
    void aRunWhileTheApplicationWritesBothTablesThenFinishEqualsTheReferenceOnTheFinalTables() throws Exception {
        DatabaseUrl url = CurrentMessageJobTest.database(pg, "online", "", 150);
        Map<String, String> before = CurrentMessageJobTest.columnValues(url);
        RunReport online;
        AppWriter writer = new AppWriter(url, 7);
        try (writer) {
            writer.start();
            // slow enough for the writer to change chats under every phase
            online = new Backfill(config(url, BackfillConfig.Mode.ONLINE).maxRateBytesPerSecond(1_000_000).build()).run();
            Thread.sleep(400);   // and the application goes on writing after the online run
        }
        writer.rethrow();
        System.out.println("online: application operations " + writer.counts());
        for (AtomicLong n : writer.ops) assertTrue(n.get() > 3, "every kind of write happened: " + writer.counts());
        assertTrue(online.phases().stream().anyMatch(p -> p.phase() == Phase.CATCH_UP), "the online run caught up");
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("856c5b02fb54", one(st, "SELECT version_num FROM alembic_version"), "an online run does not stamp");
            assertEquals("2", one(st, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgbackfill_current_message_%'"));
            long pending = Long.parseLong(one(st, "SELECT count(*) FROM pgbackfill.current_message_change"));
            assertTrue(pending > 0, "changes made after the online run are recorded");
            assertEquals(pending, org.pgbackfill.engine.RunStatus.read(c, "pgbackfill").pendingChanges(), "status counts them");
        }
        RunReport finish = new Backfill(config(url, BackfillConfig.Mode.FINISH).build()).run();
        assertTrue(finish.totalSeconds() < 60, "finish took " + finish.totalSeconds());
        CurrentMessageJobTest.Expected expected = CurrentMessageJobTest.expected(url, before);
        CurrentMessageJobTest.assertExact(url, expected);
        System.out.println("online: " + expected.chats() + " chats at the end, " + expected.values().size() + " with a value, "
            + expected.rejections().size() + " rejected");
        assertCaptureRemoved(url);
    }

    /**
     * The ordering: a document saved (a new currentId) and a chat_message row deleted after their
     * range was read but before the merge; the merge writes the values it staged, which are stale, and the
     * catch-up that follows decides both chats again from what they hold, with the column's value before
     * the run (not the merge's) as the first candidate. Then a change after run --online and before
     * finish, and an application transaction still open at finish: finish waits for nothing longer than its
     * lock_timeout, stamps nothing, and the next finish applies it.
     */
    @Test
    void aChangeBetweenTheLoadAndTheMergeIsDecidedAgainAndFinishAppliesLaterOnes() throws Exception {
        DatabaseUrl url = CurrentMessageJobTest.database(pg, "ordering", "", 20);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            chat(st, "ord", "a", "{\"a\":{\"parentId\":null,\"timestamp\":1},\"b\":{\"parentId\":\"a\",\"timestamp\":2}}");
            row(st, "ord", "a", null, 1);
            row(st, "ord", "b", "ord-a", 2);
            chat(st, "ord2", "nowhere", "{}");
            row(st, "ord2", "a", null, 5);
            row(st, "ord2", "b", null, 9);
            chat(st, "ord4", "nowhere", "{}");
            row(st, "ord4", "m1", null, 5);
            row(st, "ord4", "m2", null, 9);
        }
        Map<String, String> before = CurrentMessageJobTest.columnValues(url);
        boolean[] changed = {false};
        new Backfill(config(url, BackfillConfig.Mode.ONLINE).progress(new ProgressListener() {
            @Override public void phaseStarted(Phase phase) {
                if (phase != Phase.BUILD || changed[0]) return;
                changed[0] = true;
                try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
                    assertEquals("0", one(st, "SELECT count(*) FROM pgbackfill.current_message_merge WHERE merged_chats > 0"), "before the merge");
                    assertEquals("2", one(st, "SELECT count(*) FROM pgbackfill.current_message_staging WHERE chat_id IN ('ord', 'ord2')"),
                        "both staged from the old state");
                    st.execute("UPDATE chat SET chat = '{\"history\":{\"currentId\":\"b\",\"messages\":{}}}' WHERE id = 'ord'");
                    st.execute("DELETE FROM chat_message WHERE id = 'ord2-b'");
                } catch (SQLException e) {
                    throw new RuntimeException(e);
                }
            }
        }).build()).run();
        assertTrue(changed[0]);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("b", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord'"), "the new currentId, not the merge's stale 'a'");
            assertEquals("a", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord2'"), "the latest leaf left");
            assertEquals("m2", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord4'"));
            assertEquals("0", one(st, "SELECT count(*) FROM pgbackfill.current_message_change"),
                "everything caught up, and the tool's own writes to the column are not recorded as changes");
            // after run --online, before finish: a new message saved, a chat deleted, a chat created
            st.execute("INSERT INTO chat_message (id, chat_id, role, parent_id, created_at) VALUES ('ord-c', 'ord', 'user', 'ord-b', 3)");
            st.execute("UPDATE chat SET chat = '{\"history\":{\"currentId\":\"c\",\"messages\":{}}}' WHERE id = 'ord'");
            st.execute("DELETE FROM chat WHERE id = 'ord2'");
            chat(st, "ord5", "x", "{\"x\":{\"parentId\":null,\"timestamp\":1}}");
        }
        try (Connection app = PostgresFixture.connect(url); Statement st = app.createStatement()) {
            app.setAutoCommit(false);
            st.execute("UPDATE chat_message SET created_at = 100 WHERE id = 'ord4-m1'");   // still open at finish
            BackfillException busy = assertThrows(BackfillException.class,
                () -> new Backfill(config(url, BackfillConfig.Mode.FINISH).lockTimeout("1s").build()).run());
            System.out.println("finish with an open application transaction: " + busy.getMessage());
            try (Connection c = PostgresFixture.connect(url); Statement s2 = c.createStatement()) {
                assertEquals("856c5b02fb54", one(s2, "SELECT version_num FROM alembic_version"), "nothing stamped");
            }
            app.commit();
        }
        new Backfill(config(url, BackfillConfig.Mode.FINISH).build()).run();
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("c", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord'"));
            assertEquals("m1", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord4'"), "the open transaction's change");
            assertEquals("x", one(st, "SELECT current_message_id FROM chat WHERE id = 'ord5'"));
        }
        CurrentMessageJobTest.assertExact(url, CurrentMessageJobTest.expected(url, before));
        assertCaptureRemoved(url);
    }

    /** A rejection found by the load is cleared when the application saves the chat into something the rule decides. */
    @Test
    void aRejectedChatSavedIntoAGoodOneLosesItsRejectionAndRestartRemovesTheCapture() throws Exception {
        DatabaseUrl url = CurrentMessageJobTest.database(pg, "restart", "", 20);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            chat(st, "bad", "nowhere", "{\"a\":{\"parentId\":[1],\"timestamp\":1}}");   // unhashable parentId: rejected
        }
        new Backfill(config(url, BackfillConfig.Mode.ONLINE).build()).run();
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("UNHASHABLE_PARENT_ID", one(st, "SELECT reason FROM pgbackfill.rejected_chat WHERE chat_id = 'bad'"));
            st.execute("UPDATE chat SET chat = '{\"history\":{\"currentId\":\"a\",\"messages\":{\"a\":{}}}}' WHERE id = 'bad'");
        }
        new Backfill(config(url, BackfillConfig.Mode.ONLINE).build()).run();   // run --online again: only catches up
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("0", one(st, "SELECT count(*) FROM pgbackfill.rejected_chat WHERE chat_id = 'bad'"));
            assertEquals("a", one(st, "SELECT current_message_id FROM chat WHERE id = 'bad'"));
            assertEquals("2", one(st, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgbackfill_current_message_%'"));
        }
        // --restart (offline): the capture goes, and the offline run starts from what the column holds now
        CurrentMessageJobTest.Expected offline = CurrentMessageJobTest.expected(url);
        new Backfill(config(url, BackfillConfig.Mode.OFFLINE).restart(true).build()).run();
        assertCaptureRemoved(url);
        CurrentMessageJobTest.assertExact(url, offline);
    }

    static void assertCaptureRemoved(DatabaseUrl url) throws SQLException {
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            assertEquals("0", one(st, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgbackfill_%'"), "the triggers are removed");
            assertEquals("0", one(st, "SELECT count(*) FROM pg_proc WHERE proname LIKE 'capture_current_message_%'"));
            assertEquals("f", one(st, "SELECT (to_regclass('pgbackfill.current_message_change') IS NOT NULL)::text").substring(0, 1));
            assertEquals("f", one(st, "SELECT (to_regclass('pgbackfill.current_message_change_version') IS NOT NULL)::text").substring(0, 1));
            assertEquals("f", one(st, "SELECT (to_regclass('pgbackfill.current_message_before') IS NOT NULL)::text").substring(0, 1));
        }
    }

    /** A chat whose document has history.currentId {@code currentId} and history.messages {@code messages}. */
    static void chat(Statement st, String id, String currentId, String messages) throws SQLException {
        st.execute("INSERT INTO chat (id, user_id, title, chat) VALUES ('" + id + "', 'u', 't', '{\"history\":{\"currentId\":\"" + currentId
            + "\",\"messages\":" + messages + "}}')");
    }

    static void row(Statement st, String chatId, String key, String parentId, long createdAt) throws SQLException {
        st.execute("INSERT INTO chat_message (id, chat_id, role, parent_id, created_at) VALUES ('" + chatId + "-" + key + "', '" + chatId
            + "', 'user', " + (parentId == null ? "NULL" : "'" + parentId + "'") + ", " + createdAt + ")");
    }

    /**
     * The old Open WebUI at 856c5b02fb54, as far as this job's sources go: each operation in its own
     * transaction, as the application saves: a document saved with a new currentId; a new message (its
     * chat_message row and the document's currentId together); a row deleted; a row edited (its parent,
     * its time, or only its content, which moves it physically); a chat created with its rows; a chat deleted.
     */
    static final class AppWriter implements AutoCloseable {
        final AtomicLong[] ops = new AtomicLong[6];
        private final DatabaseUrl url;
        private final Random random;
        private final Thread thread;
        private volatile boolean stop;
        private volatile Throwable failure;
        private long serial;

        AppWriter(DatabaseUrl url, long seed) {
            this.url = url;
            this.random = new Random(seed);
            for (int i = 0; i < ops.length; i++) ops[i] = new AtomicLong();
            this.thread = new Thread(this::loop, "app-writer");
            thread.setDaemon(true);
        }

        void start() { thread.start(); }

        String counts() {
            return "saves " + ops[0] + ", new messages " + ops[1] + ", rows deleted " + ops[2] + ", rows edited " + ops[3]
                + ", chats created " + ops[4] + ", chats deleted " + ops[5];
        }

        void rethrow() {
            if (failure != null) throw new AssertionError("the application writer failed", failure);
        }

        @Override public void close() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }

        private void loop() {
            try (Connection c = PostgresFixture.connect(url)) {
                List<String> ids = new ArrayList<>();
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM chat")) {
                    while (rs.next()) ids.add(rs.getString(1));
                }
                while (!stop) {
                    int op = random.nextInt(6);
                    String id = ids.get(random.nextInt(ids.size()));
                    c.setAutoCommit(false);
                    try {
                        if (once(c, op, id, ids)) ops[op].incrementAndGet();
                        c.commit();
                    } catch (SQLException e) {
                        c.rollback();   // a document jsonb cannot take, a chat gone: the application's save fails, nothing changes
                    } finally {
                        c.setAutoCommit(true);
                    }
                    Thread.sleep(2);
                }
            } catch (Throwable e) {
                failure = e;
            }
        }

        private String someRow(Connection c, String chatId) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM chat_message WHERE chat_id = ? ORDER BY id LIMIT 1 OFFSET ?")) {
                ps.setString(1, chatId);
                ps.setInt(2, random.nextInt(4));
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        }

        private boolean saveCurrentId(Connection c, String id, String currentId) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("UPDATE chat SET chat = jsonb_set(chat::jsonb, '{history,currentId}', to_jsonb(?::text))::json "
                    + "WHERE id = ? AND jsonb_typeof(chat::jsonb -> 'history') = 'object'")) {
                ps.setString(1, currentId);
                ps.setString(2, id);
                return ps.executeUpdate() > 0;
            }
        }

        private boolean once(Connection c, int op, String id, List<String> ids) throws SQLException {
            String row = someRow(c, id);
            switch (op) {
                case 0 -> {   // saved with another currentId: one of its rows (prefixed or not), or none
                    String to = row == null || random.nextInt(4) == 0 ? "gone-" + random.nextInt(1000)
                        : random.nextBoolean() ? row : row.substring(Math.min(row.length(), id.length() + 1));
                    return saveCurrentId(c, id, to);
                }
                case 1 -> {   // a new message: its row, and the document pointing at it
                    String key = "live" + (serial++);
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat_message (id, chat_id, role, parent_id, created_at) "
                            + "VALUES (?, ?, 'assistant', ?, ?)")) {
                        ps.setString(1, id + "-" + key);
                        ps.setString(2, id);
                        ps.setString(3, row);
                        ps.setLong(4, NOW + random.nextInt(3) * 1000L);   // ties too
                        ps.executeUpdate();
                    }
                    if (random.nextInt(3) > 0) saveCurrentId(c, id, key);
                    return true;
                }
                case 2 -> {
                    if (row == null) return false;
                    try (PreparedStatement ps = c.prepareStatement("DELETE FROM chat_message WHERE id = ?")) {
                        ps.setString(1, row);
                        return ps.executeUpdate() > 0;
                    }
                }
                case 3 -> {
                    if (row == null) return false;
                    String set = switch (random.nextInt(3)) {
                        case 0 -> "parent_id = NULL";
                        case 1 -> "created_at = coalesce(created_at, 0) + " + random.nextInt(2_000_000);
                        default -> "meta = '{\"edited\":true}'";   // only the content: the row moves in physical order
                    };
                    try (PreparedStatement ps = c.prepareStatement("UPDATE chat_message SET " + set + " WHERE id = ?")) {
                        ps.setString(1, row);
                        return ps.executeUpdate() > 0;
                    }
                }
                case 4 -> {
                    String chat = "live-chat-" + (serial++);
                    try (Statement st = c.createStatement()) {
                        chat(st, chat, random.nextBoolean() ? "m2" : "nowhere",
                            "{\"m1\":{\"parentId\":null,\"timestamp\":1},\"m2\":{\"parentId\":\"m1\",\"timestamp\":2}}");
                        if (random.nextBoolean()) {
                            row(st, chat, "m1", null, NOW);
                            row(st, chat, "m2", chat + "-m1", NOW + 1);
                        }
                    }
                    ids.add(chat);
                    return true;
                }
                default -> {
                    try (PreparedStatement ps = c.prepareStatement("DELETE FROM chat WHERE id = ?")) {
                        ps.setString(1, id);
                        ids.remove(id);
                        return ps.executeUpdate() > 0;
                    }
                }
            }
        }
    }
}
