package org.pgbackfill.engine;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.seed.ChatGenerator;
import org.pgbackfill.seed.GeneratedChat;
import org.pgbackfill.seed.GeneratorOptions;
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
 * The old Open WebUI, as far as {@code chat} is concerned: a thread that, at a steady rate, inserts
 * chats, saves new documents into existing ones (new and edited messages), deletes chats, renames
 * and archives them, each in its own transaction, as the application does.
 */
final class ChatWriter implements AutoCloseable {
    final AtomicLong inserts = new AtomicLong(), updates = new AtomicLong(), deletes = new AtomicLong(), renames = new AtomicLong();
    private final DatabaseUrl url;
    private final long pauseMillis;
    private final Random random;
    private final ChatGenerator documents;
    private final Thread thread;
    private volatile boolean stop;
    private volatile Throwable failure;

    ChatWriter(DatabaseUrl url, long seed, long pauseMillis, GeneratorOptions.Builder options) {
        this.url = url;
        this.pauseMillis = pauseMillis;
        this.random = new Random(seed);
        this.documents = new ChatGenerator(options.seed(seed).chats(Long.MAX_VALUE).targetBytes(Long.MAX_VALUE).build());
        this.thread = new Thread(this::loop, "chat-writer");
        thread.setDaemon(true);
    }

    ChatWriter start() {
        thread.start();
        return this;
    }

    long operations() { return inserts.get() + updates.get() + deletes.get() + renames.get(); }

    private void loop() {
        try (Connection c = PostgresFixture.connect(url)) {
            List<String> ids = new ArrayList<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM chat")) {
                while (rs.next()) ids.add(rs.getString(1));
            }
            while (!stop) {
                int op = random.nextInt(10);
                if (op < 3 || ids.isEmpty()) {
                    GeneratedChat g = documents.next();
                    String id = "live-" + g.id();
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat (id, user_id, title, created_at, updated_at, chat, meta) "
                            + "VALUES (?, ?, ?, ?, ?, ?::json, '{}')")) {
                        ps.setString(1, id);
                        ps.setString(2, g.userId());
                        ps.setString(3, g.title());
                        ps.setLong(4, g.createdAt());
                        ps.setLong(5, g.updatedAt());
                        ps.setString(6, g.documentText());
                        ps.executeUpdate();
                    }
                    ids.add(id);
                    inserts.incrementAndGet();
                } else if (op < 7) {
                    String id = ids.get(random.nextInt(ids.size()));
                    GeneratedChat g = documents.next();
                    try (PreparedStatement ps = c.prepareStatement("UPDATE chat SET chat = ?::json, updated_at = updated_at + 1 WHERE id = ?")) {
                        ps.setString(1, g.documentText());
                        ps.setString(2, id);
                        ps.executeUpdate();
                    }
                    updates.incrementAndGet();
                } else if (op < 8) {
                    String id = ids.remove(random.nextInt(ids.size()));
                    try (PreparedStatement ps = c.prepareStatement("DELETE FROM chat WHERE id = ?")) {
                        ps.setString(1, id);
                        ps.executeUpdate();
                    }
                    deletes.incrementAndGet();
                } else {
                    String id = ids.get(random.nextInt(ids.size()));
                    try (PreparedStatement ps = c.prepareStatement("UPDATE chat SET title = title || ' (renamed)', archived = NOT coalesce(archived, false) "
                            + "WHERE id = ?")) {
                        ps.setString(1, id);
                        ps.executeUpdate();
                    }
                    renames.incrementAndGet();
                }
                if (pauseMillis > 0) Thread.sleep(pauseMillis);
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    @Override public void close() throws Exception {
        stop = true;
        thread.join(30_000);
        if (failure != null) throw new AssertionError("the writer failed: " + failure, failure);
    }
}
