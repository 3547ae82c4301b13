package org.pgbackfill.job.currentmessage;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The old Open WebUI at 856c5b02fb54, as far as this job's sources go: each operation in its own
 * transaction, as the application saves: a document saved with a new currentId; a new message (its
 * chat_message row and the document's currentId together); a row deleted; a row edited (its parent,
 * its time, or only its content, which moves it physically); a chat created with its rows; a chat deleted.
 */
public final class AppWriter implements AutoCloseable {
    /** How many of each operation committed, in the order {@link #counts} names them. */
    private final AtomicLong[] ops = new AtomicLong[6];
    private final DatabaseUrl url;
    private final Random random;
    private final Thread thread;
    private volatile boolean stop;
    private volatile Throwable failure;
    private long serial;

    /** Its session's application_name. */
    public static final String APPLICATION_NAME = "open-webui (AppWriter)";

    public AppWriter(DatabaseUrl url, long seed) {
        this.url = url;
        this.random = new Random(seed);
        for (int i = 0; i < ops.length; i++) ops[i] = new AtomicLong();
        this.thread = new Thread(this::loop, "app-writer");
        thread.setDaemon(true);
    }

    public void start() { thread.start(); }

    public String counts() {
        return "saves " + ops[0] + ", new messages " + ops[1] + ", rows deleted " + ops[2] + ", rows edited " + ops[3]
            + ", chats created " + ops[4] + ", chats deleted " + ops[5];
    }

    /** The count of the operation that committed least often. */
    public long fewestOfAKind() {
        long fewest = Long.MAX_VALUE;
        for (AtomicLong n : ops) fewest = Math.min(fewest, n.get());
        return fewest;
    }

    /** Fails if the writer stopped on an error other than a refused save (a connection lost, a bug). */
    public void rethrow() {
        if (failure != null) throw new AssertionError("the application writer failed", failure);
    }

    @Override public void close() throws InterruptedException {
        stop = true;
        thread.join(10_000);
    }

    private void loop() {
        try (Connection c = PostgresFixture.connect(url)) {
            try (Statement st = c.createStatement()) {
                st.execute("SET application_name = '" + APPLICATION_NAME + "'");   // so tests tell its session from the tool's
            }
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
                    ps.setLong(4, CurrentMessageJobTest.NOW + random.nextInt(3) * 1000L);   // ties too
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
                    CurrentMessageOnlineTest.chat(st, chat, random.nextBoolean() ? "m2" : "nowhere",
                        "{\"m1\":{\"parentId\":null,\"timestamp\":1},\"m2\":{\"parentId\":\"m1\",\"timestamp\":2}}");
                    if (random.nextBoolean()) {
                        CurrentMessageOnlineTest.row(st, chat, "m1", null, CurrentMessageJobTest.NOW);
                        CurrentMessageOnlineTest.row(st, chat, "m2", chat + "-m1", CurrentMessageJobTest.NOW + 1);
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
