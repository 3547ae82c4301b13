package org.pgbackfill.job.currentmessage;

import org.pgbackfill.copy.BinaryCopyEncoder;
import org.pgbackfill.source.ChatRangeReader;
import org.pgbackfill.source.ReadGate;
import org.pgbackfill.source.Scope;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.state.Rejection;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * One range of the current_message_id job, computed and staged: its chats decided by {@link ChatBatches}. Connection {@code a} streams the
 * range's documents ({@link ChatRangeReader}) in a REPEATABLE READ snapshot it exports; the chats
 * read are kept in a small batch (their {@link DocumentFacts}, never the documents), and for each
 * batch connection {@code b} reads, in that same snapshot (imported), the batch's chat_message rows
 * in physical order and its chats' current values, decides each chat with
 * {@link CurrentMessageRule}, then writes the chats whose value changes into staging by binary COPY
 * and the rejected chats into {@code rejected_chat}, in one short transaction fenced on the range's
 * attempt (as {@code CopyWriter}'s: a range claimed again by another attempt makes it roll back).
 * The range's last transaction also records what the attempt wrote, for the reconciliation.
 *
 * <p>The snapshot is imported in a read-only transaction of its own, and the write is a separate
 * READ COMMITTED transaction: the fence's {@code FOR SHARE} on the range row, which other sessions
 * update (claims, progress), would fail with a serialization error under the old snapshot.
 */
final class RangeWork {
    /** What one range's attempt produced. */
    record Result(long chats, long documentBytes, long staged, long rejected, long unchanged) { }

    /** How much of a document's beginning a rejection keeps. */
    static final int RAW_PREFIX_CHARS = 1024;

    private final StagingTables tables;
    private final String schema;
    private final long runId;
    private final int inlineLimit;
    private final int batchChats;
    private final long batchBytes;
    private final ReadGate gate;

    RangeWork(StagingTables tables, String schema, long runId, int inlineLimit, int batchChats, long batchBytes, ReadGate gate) {
        this.tables = tables;
        this.schema = schema;
        this.runId = runId;
        this.inlineLimit = inlineLimit;
        this.batchChats = batchChats;
        this.batchBytes = batchBytes;
        this.gate = gate;
    }

    /** The range was claimed again by another attempt: this transaction must not commit. */
    static final class Superseded extends SQLException {
        Superseded(String message) { super(message); }
    }

    /** Running counts of the attempt. */
    private static final class Counts {
        long staged, rejected, unchanged;
    }

    /**
     * Computes and stages the range under {@code claim}; {@code all} and {@code range} (may be null)
     * count what is read, for progress.
     */
    Result run(Connection a, Connection b, ControlTables.Claim claim, ChatRangeReader.Counters all, ChatRangeReader.Counters range,
               BooleanSupplier stopping) throws SQLException, IOException {
        ChatRangeReader reader = all == null ? new ChatRangeReader(a, inlineLimit, Scope.EVERY_CHAT)
            : new ChatRangeReader(a, inlineLimit, Scope.EVERY_CHAT, all, range);
        Counts counts = new Counts();
        List<String[]> writes = new ArrayList<>();
        List<Object[]> rejections = new ArrayList<>();   // chat id, reason, detail, raw prefix
        ChatRangeReader.Totals totals = new ChatBatches(batchChats, batchBytes).run(a, b, claim.range(), reader, gate, stopping,
            new ChatBatches.Handler() {
                @Override public void decided(Connection b, List<ChatBatches.Decided> batch) throws SQLException {
                    List<String> rejectedIds = new ArrayList<>();
                    for (ChatBatches.Decided d : batch) {
                        if (d.outcome() instanceof CurrentMessageOutcome.Write w) {
                            writes.add(new String[] {d.chatId(), w.value()});
                        } else if (d.outcome() instanceof CurrentMessageOutcome.Rejected x) {
                            rejections.add(new Object[] {d.chatId(), x.reason().name(), x.detail(), null});
                            rejectedIds.add(d.chatId());
                        } else {
                            counts.unchanged++;
                        }
                    }
                    if (!rejectedIds.isEmpty()) {   // the documents' beginnings, in the same snapshot
                        Map<String, String> prefixes = new HashMap<>();
                        try (PreparedStatement ps = b.prepareStatement("SELECT id, left(chat::text, " + RAW_PREFIX_CHARS + ") FROM chat "
                                + "WHERE id = ANY (?)")) {
                            ps.setArray(1, b.createArrayOf("text", rejectedIds.toArray()));
                            try (ResultSet rs = ps.executeQuery()) {
                                while (rs.next()) prefixes.put(rs.getString(1), rs.getString(2));
                            }
                        }
                        for (Object[] x : rejections) if (x[3] == null) x[3] = prefixes.get((String) x[0]);
                    }
                }

                /** The batch's writes in one transaction fenced on the range's attempt; the range's summary with its last. */
                @Override public void batchDone(Connection b, long chatsOfRange) throws SQLException {
                    try {
                        // a value the server refuses is isolated and recorded: it never fails the range
                        List<RefusedValues.Refused> refused = RefusedValues.write(b, writes, (c, w) -> copy(c, claim, w));
                        if (!refused.isEmpty()) refusedAsRejections(b, refused, rejections);
                        if (!rejections.isEmpty()) insertRejections(b, claim, rejections);
                        counts.staged += writes.size() - refused.size();
                        counts.rejected += rejections.size();
                        if (chatsOfRange >= 0) summary(b, claim, chatsOfRange, counts);
                        fence(b, claim);
                        b.commit();
                    } catch (SQLException | RuntimeException e) {
                        try { b.rollback(); } catch (SQLException ignored) { }
                        throw e;
                    } finally {
                        writes.clear();
                        rejections.clear();
                    }
                }
            });
        return new Result(totals.chats(), totals.documentBytes(), counts.staged, counts.rejected, counts.unchanged);
    }

    /** The refused values as rejections of the batch, each with its document's beginning. */
    private static void refusedAsRejections(Connection b, List<RefusedValues.Refused> refused, List<Object[]> rejections)
            throws SQLException {
        Map<String, String> prefixes = new HashMap<>();
        try (PreparedStatement ps = b.prepareStatement("SELECT id, left(chat::text, " + RAW_PREFIX_CHARS + ") FROM chat WHERE id = ANY (?)")) {
            ps.setArray(1, b.createArrayOf("text", refused.stream().map(RefusedValues.Refused::chatId).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) prefixes.put(rs.getString(1), rs.getString(2));
            }
        }
        for (RefusedValues.Refused r : refused) {
            rejections.add(new Object[] {r.chatId(), CurrentMessageReject.VALUE_REFUSED.name(), r.detail(), prefixes.get(r.chatId())});
        }
    }

    private void copy(Connection b, ControlTables.Claim claim, List<String[]> writes) throws SQLException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + writes.size() * 96);
        out.writeBytes(BinaryCopyEncoder.HEADER);
        for (String[] w : writes) {
            short2(out, 4);
            int4(out, 4);
            int4(out, claim.range().id());
            int4(out, 4);
            int4(out, claim.attempt());
            text(out, w[0]);
            text(out, w[1]);
        }
        out.writeBytes(BinaryCopyEncoder.TRAILER);
        byte[] bytes = out.toByteArray();
        CopyIn in = b.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + tables.staging()
            + " (range_id, attempt, chat_id, value) FROM STDIN (FORMAT binary)");
        try {
            in.writeToCopy(bytes, 0, bytes.length);
            long n = in.endCopy();
            if (n != writes.size()) throw new SQLException("COPY took " + n + " rows where " + writes.size() + " were sent");
        } finally {
            if (in.isActive()) in.cancelCopy();
        }
    }

    private static void short2(ByteArrayOutputStream out, int v) {
        out.write(v >>> 8);
        out.write(v);
    }

    private static void int4(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private static void text(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int4(out, b.length);
        out.writeBytes(b);
    }

    private void insertRejections(Connection b, ControlTables.Claim claim, List<Object[]> rejections) throws SQLException {
        try (PreparedStatement ps = b.prepareStatement("INSERT INTO " + schema + ".rejected_chat (run_id, range_id, attempt, chat_id, "
                + "reason, detail, raw_prefix) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (Object[] x : rejections) {
                ps.setLong(1, runId);
                ps.setInt(2, claim.range().id());
                ps.setInt(3, claim.attempt());
                ps.setString(4, (String) x[0]);
                ps.setString(5, (String) x[1]);
                ps.setString(6, Rejection.textSafe((String) x[2]));
                ps.setString(7, (String) x[3]);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void summary(Connection b, ControlTables.Claim claim, long chats, Counts counts) throws SQLException {
        try (PreparedStatement ps = b.prepareStatement("INSERT INTO " + tables.ranges() + " (run_id, range_id, attempt, chats, staged, "
                + "rejected, unchanged) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, range_id) DO UPDATE SET attempt = excluded.attempt, "
                + "chats = excluded.chats, staged = excluded.staged, rejected = excluded.rejected, unchanged = excluded.unchanged")) {
            ps.setLong(1, runId);
            ps.setInt(2, claim.range().id());
            ps.setInt(3, claim.attempt());
            ps.setLong(4, chats);
            ps.setLong(5, counts.staged);
            ps.setLong(6, counts.rejected);
            ps.setLong(7, counts.unchanged);
            ps.executeUpdate();
        }
    }

    /** Holds a share lock on the range's control row until the commit, and checks it is still at this attempt. */
    private void fence(Connection b, ControlTables.Claim claim) throws SQLException {
        try (PreparedStatement ps = b.prepareStatement("SELECT attempt FROM " + schema + ".range WHERE run_id = ? AND range_id = ? FOR SHARE")) {
            ps.setLong(1, runId);
            ps.setInt(2, claim.range().id());
            try (ResultSet rs = ps.executeQuery()) {
                int now = rs.next() ? rs.getInt(1) : -1;
                if (now != claim.attempt()) {
                    throw new Superseded(claim.range() + " was claimed again (attempt " + now + ") while attempt " + claim.attempt()
                        + " was still writing; this attempt's rows are rolled back");
                }
            }
        }
    }

    /** Removes what earlier attempts (or, with {@code alsoThisAttempt}, this one) of the range left in staging and rejected_chat. */
    void clear(Connection b, ControlTables.Claim claim, boolean alsoThisAttempt) throws SQLException {
        b.setAutoCommit(false);
        String attempt = alsoThisAttempt ? "" : " AND attempt <> " + claim.attempt();
        try (Statement st = b.createStatement()) {
            st.executeUpdate("DELETE FROM " + tables.staging() + " WHERE range_id = " + claim.range().id() + attempt);
            st.executeUpdate("DELETE FROM " + schema + ".rejected_chat WHERE run_id = " + runId + " AND range_id = " + claim.range().id()
                + attempt);
        }
        b.commit();
    }
}
