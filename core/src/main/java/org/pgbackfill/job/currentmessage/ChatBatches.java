package org.pgbackfill.job.currentmessage;

import org.pgbackfill.source.ChatRangeReader;
import org.pgbackfill.source.KeyRange;
import org.pgbackfill.source.ReadGate;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Every chat of a range decided by {@link CurrentMessageRule}, in small batches, in one snapshot:
 * the job's load stages the decisions, verify compares them with the column. Connection {@code a}
 * streams the range's documents ({@link ChatRangeReader}) in a REPEATABLE READ snapshot it
 * exports; the chats read are kept in a batch (their {@link DocumentFacts}, never the documents);
 * for each batch connection {@code b} reads, in that same snapshot (imported, read only), the
 * batch's chat_message rows in physical order and its chats' current values, and decides.
 */
public final class ChatBatches {
    /** A chat, its decision, and what it was decided from (its column's value, its document's facts, its rows). */
    public record Decided(String chatId, CurrentMessageOutcome outcome, String current, DocumentFacts facts, List<ChatMessageRow> rows) { }

    /** What is done with the decisions. */
    public interface Handler {
        /** A batch, decided: {@code b} is still in the range's snapshot (read only), for anything else to read in it. */
        void decided(Connection b, List<Decided> batch) throws SQLException;

        /**
         * After each batch's snapshot transaction ended (and once more at the end of the range, with
         * {@code chatsOfRange} >= 0 then: the chats the range had): the place for a write of its own.
         */
        default void batchDone(Connection b, long chatsOfRange) throws SQLException { }
    }

    /** Chats per batch, by default. */
    public static final int BATCH_CHATS = 1_000;
    /** A batch is also cut after this many bytes of documents. */
    public static final long BATCH_BYTES = 16L << 20;

    private final int batchChats;
    private final long batchBytes;

    public ChatBatches(int batchChats, long batchBytes) {
        this.batchChats = batchChats;
        this.batchBytes = batchBytes;
    }

    /** A chat read, waiting for its batch: its id and what its document says. */
    private record Read(String chatId, DocumentFacts facts) { }

    /** A SQLException out of the document handler (which may throw only IOException). */
    private static final class Wrapped extends IOException {
        Wrapped(SQLException e) { super(e); }
    }

    /** Reads and decides the range with {@code reader} (on {@code a}), handing each batch to {@code handler}; commits {@code a}. */
    public ChatRangeReader.Totals run(Connection a, Connection b, KeyRange range, ChatRangeReader reader, ReadGate gate,
                                      BooleanSupplier stopping, Handler handler) throws SQLException, IOException {
        ChatRangeReader.beginSnapshot(a);
        String snapshot;
        try (Statement st = a.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_export_snapshot()")) {
            rs.next();
            snapshot = rs.getString(1);
        }
        List<Read> batch = new ArrayList<>();
        long[] batchDocBytes = {0};
        ChatRangeReader.Totals totals;
        try {
            totals = reader.readInTransaction(range, "", (id, userId, doc) -> {
                if (stopping.getAsBoolean()) throw new IOException("stopped");
                batch.add(new Read(id, DocumentFacts.read(doc)));
                if (doc != null) {
                    batchDocBytes[0] += doc.length();
                    gate.admitRead(doc.length());
                }
                if (batch.size() >= batchChats || batchDocBytes[0] >= batchBytes) {
                    try {
                        flush(b, snapshot, batch, handler, -1);
                    } catch (SQLException e) {
                        throw new Wrapped(e);
                    }
                    batch.clear();
                    batchDocBytes[0] = 0;
                }
            });
        } catch (Wrapped w) {
            throw (SQLException) w.getCause();
        }
        flush(b, snapshot, batch, handler, totals.chats());
        a.commit();
        return totals;
    }

    private static void flush(Connection b, String snapshot, List<Read> batch, Handler handler, long chatsOfRange) throws SQLException {
        b.setAutoCommit(false);
        if (!batch.isEmpty()) {
            try (Statement st = b.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                st.execute("SET TRANSACTION SNAPSHOT '" + snapshot.replace("'", "''") + "'");
            }
            handler.decided(b, decide(b, batch));
            b.commit();
        }
        handler.batchDone(b, chatsOfRange);
    }

    /** The chat_message rows of the chats {@code ids} (a text array), each chat's in physical order: what SPEC.md 7 decides from. */
    static Map<String, List<ChatMessageRow>> rowsOf(Connection b, java.sql.Array ids) throws SQLException {
        Map<String, List<ChatMessageRow>> rows = new HashMap<>();
        try (PreparedStatement ps = b.prepareStatement("SELECT chat_id, id, parent_id, created_at FROM chat_message "
                + "WHERE chat_id = ANY (?) ORDER BY ctid")) {
            ps.setArray(1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long t = rs.getLong(4);
                    Long createdAt = rs.wasNull() ? null : t;
                    rows.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new ChatMessageRow(rs.getString(2), rs.getString(3), createdAt));
                }
            }
        }
        return rows;
    }

    /** The batch's decisions, from its rows and current values read on {@code b}. */
    private static List<Decided> decide(Connection b, List<Read> batch) throws SQLException {
        String[] ids = new String[batch.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = batch.get(i).chatId();
        java.sql.Array idArray = b.createArrayOf("text", ids);
        Map<String, List<ChatMessageRow>> rows = rowsOf(b, idArray);
        Map<String, String> current = new HashMap<>();
        try (PreparedStatement ps = b.prepareStatement("SELECT id, current_message_id FROM chat WHERE id = ANY (?) "
                + "AND current_message_id IS NOT NULL")) {
            ps.setArray(1, idArray);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) current.put(rs.getString(1), rs.getString(2));
            }
        }
        List<Decided> out = new ArrayList<>(batch.size());
        for (Read r : batch) {
            List<ChatMessageRow> own = rows.getOrDefault(r.chatId(), List.of());
            String value = current.get(r.chatId());
            out.add(new Decided(r.chatId(), CurrentMessageRule.decide(r.chatId(), value, r.facts(), own), value, r.facts(), own));
        }
        return out;
    }
}
