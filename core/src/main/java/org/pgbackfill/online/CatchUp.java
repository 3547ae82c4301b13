package org.pgbackfill.online;

import org.pgbackfill.db.SqlStates;
import org.pgbackfill.copy.BinaryCopyEncoder;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.source.Spool;
import org.pgbackfill.source.ChatRangeReader;
import org.pgbackfill.source.KeyRange;
import org.pgbackfill.source.Scope;
import org.pgbackfill.control.Throttle;
import org.pgbackfill.schema.TargetSchema;
import org.pgbackfill.schema.TargetTable;
import org.postgresql.PGConnection;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Brings chat_message up to date with the chats {@link ChangeCapture} recorded: per batch of
 * changed chats, in one transaction, their rows and rejections are deleted, their
 * current documents read and extracted again, the rows inserted (chat_message has its indexes by
 * now), and the change records removed — only at the version that was read, so a chat changed
 * again meanwhile stays recorded for the next batch.
 *
 * <p>The chats of a batch are locked {@code FOR SHARE} first (in id order): a save of one of them by
 * the application waits for the batch to commit (a fraction of a second), so every read of the
 * batch sees the same documents, and no change record of the batch moves under it. Extracted rows are
 * spooled to a temporary file in binary COPY format, so a batch's memory does not depend on its
 * documents' size. Row ids two chats share keep upstream's winner (the chat first in chat's physical
 * order, compared where the chats are now: {@link TargetTable#chatOrder}); values too long for an
 * index entry are rejected, as in the offline run. The final catch-up ({@link #drainInTransaction},
 * chat locked) first sends back every chat that lost an id to a chat now behind it, so the stamped
 * table has the winners of chat's order at that moment, which is what upstream would have read.
 */
public final class CatchUp {
    /** Changed chats per transaction. */
    static final int BATCH = 200;

    private final String schema;
    private final long runId;
    private final MessageExtractor extractor;
    private final int inlineLimit;
    private final String idCollation;
    private final Throttle throttle;
    private final Scope scope;
    private final ChangeCapture capture;

    public CatchUp(String schema, long runId, long nowEpoch, int inlineLimit, boolean asciiJson, String idCollation, Throttle throttle,
                   Scope scope) {
        this.scope = scope;
        this.schema = schema;
        this.runId = runId;
        this.extractor = new MessageExtractor(nowEpoch, inlineLimit, asciiJson);
        this.inlineLimit = inlineLimit;
        this.idCollation = idCollation;
        this.throttle = throttle;
        this.capture = new ChangeCapture(schema);
    }

    /** What a pass did. */
    public record Pass(long chats, long rows, double seconds) { }

    /**
     * Catches up with every change recorded before the pass began (changes made during the pass
     * wait for the next one, so a pass ends while the application keeps writing).
     */
    public Pass pass(Connection c) throws SQLException, IOException, InterruptedException {
        return pass(c, (done, pending) -> { });
    }

    /** {@link #pass(Connection)}, telling {@code progress} after each batch: (chats caught up, chats pending when the pass began). */
    public Pass pass(Connection c, java.util.function.BiConsumer<Long, Long> progress) throws SQLException, IOException, InterruptedException {
        return CatchUpPasses.pass(c, capture.log(), this::batch, progress);
    }

    /** Everything recorded, in the caller's transaction (the application stopped, or {@code chat} locked by the caller). */
    public Pass drainInTransaction(Connection c) throws SQLException, IOException, InterruptedException {
        requeueReorderedCollisions(c);
        return CatchUpPasses.drain(c, this::batch);
    }

    /**
     * A chat the application saved moves in chat's physical order, so the winner of an id two chats
     * produce can change while the run catches up. With chat locked, every chat that lost an id to a
     * chat now behind it is recorded as changed: the drain extracts it again and it takes the id.
     */
    private void requeueReorderedCollisions(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + capture.log() + " SELECT chat_id, nextval('" + schema
                + ".change_version') FROM (SELECT DISTINCT r.chat_id FROM " + schema + ".rejected_message r JOIN chat_message m "
                + "ON m.id = r.chat_id || '-' || r.message_key WHERE r.run_id = ? AND r.reason = 'DUPLICATE_ID' AND "
                + TargetTable.chatOrder("r") + " < " + TargetTable.chatOrder("m") + ") reordered "
                + "ON CONFLICT (chat_id) DO UPDATE SET version = EXCLUDED.version")) {
            ps.setLong(1, runId);
            ps.executeUpdate();
        }
    }

    /** One batch in the caller's transaction: {chats, rows inserted}. */
    private long[] batch(Connection c, long upTo) throws SQLException, IOException, InterruptedException {
        CatchUpPasses.Changes changes = CatchUpPasses.next(c, capture.log(), upTo, BATCH);
        if (changes.isEmpty()) return new long[2];
        List<String> ids = changes.chatIds();
        List<Long> versions = changes.versions();
        java.sql.Array idArray = c.createArrayOf("text", ids.toArray());
        try (Statement st = c.createStatement()) {
            // the rows' values are compressed as upstream's INSERT compresses them, so the index entries fit as they would there
            st.execute(TargetSchema.defaultToastCompression(true));
            st.execute("CREATE TEMP TABLE IF NOT EXISTS pgbackfill_catchup (LIKE chat_message) ON COMMIT DELETE ROWS");
            st.execute("DELETE FROM pg_temp.pgbackfill_catchup");   // the final catch-up runs several batches in one transaction
        }
        try (PreparedStatement lock = c.prepareStatement("SELECT count(*) FROM (SELECT 1 FROM chat WHERE id = ANY (?) ORDER BY id FOR SHARE) l")) {
            lock.setArray(1, idArray);
            lock.executeQuery().close();
        }
        for (String sql : new String[] {"DELETE FROM chat_message WHERE chat_id = ANY (?)",
                "DELETE FROM " + schema + ".rejected_message WHERE run_id = " + runId + " AND chat_id = ANY (?)",
                "DELETE FROM " + schema + ".rejected_chat WHERE run_id = " + runId + " AND chat_id = ANY (?)"}) {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setArray(1, idArray);
                ps.executeUpdate();
            }
        }
        long rows = extractInto(c, ids);
        long[] landed = insert(c);
        long inserted = landed[0];
        reconcile(c, idArray, rows, inserted, landed[1]);
        // a row that kept its id from another chat may be gone (its chat changed, or was deleted): that chat's row now wins
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + capture.log() + " SELECT chat_id, nextval('" + schema
                + ".change_version') FROM (SELECT DISTINCT r.chat_id FROM " + schema + ".rejected_message r WHERE r.run_id = " + runId
                + " AND r.reason = 'DUPLICATE_ID' AND NOT r.chat_id = ANY (?) AND NOT EXISTS (SELECT 1 FROM chat_message m "
                + "WHERE m.id = r.chat_id || '-' || r.message_key)) freed ON CONFLICT (chat_id) DO UPDATE SET version = EXCLUDED.version")) {
            ps.setArray(1, idArray);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + capture.log() + " l USING unnest(?::text[], ?::bigint[]) d(id, v) "
                + "WHERE l.chat_id = d.id AND l.version = d.v")) {
            ps.setArray(1, idArray);
            ps.setArray(2, c.createArrayOf("int8", versions.toArray()));
            ps.executeUpdate();
        }
        return new long[] {ids.size(), inserted};
    }

    /** Reads and extracts the batch's chats; rows go to the temporary table, rejections to the run's tables. Returns the rows. */
    private long extractInto(Connection c, List<String> ids) throws SQLException, IOException, InterruptedException {
        StringBuilder in = new StringBuilder(" AND id IN (");
        for (int i = 0; i < ids.size(); i++) in.append(i == 0 ? "" : ", ").append(KeyRange.literal(ids.get(i)));
        in.append(')');
        Path spool = Spool.newFile("catchup-", ".copy");
        List<org.pgbackfill.state.Rejection> rejections = new ArrayList<>();
        long[] rows = new long[1];
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(spool), 1 << 16)) {
                BinaryCopyEncoder encoder = new BinaryCopyEncoder();
                out.write(BinaryCopyEncoder.HEADER);
                ExtractionSink sink = new ExtractionSink() {
                    @Override public void row(MessageRow row) {
                        encoder.append(row);
                        rows[0]++;
                        if (encoder.length() >= 1 << 20) flush();
                    }

                    @Override public void rejectedMessage(String chatId, String key, RejectReason reason, String detail, byte[] raw) {
                        rejections.add(new org.pgbackfill.state.Rejection(chatId, key, reason, detail, raw));
                    }

                    @Override public void rejectedChat(String chatId, RejectReason reason, String detail, byte[] prefix) {
                        rejections.add(new org.pgbackfill.state.Rejection(chatId, null, reason, detail, prefix));
                    }

                    private void flush() {
                        try {
                            out.write(encoder.buffer(), 0, encoder.length());
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        encoder.clear();
                    }
                };
                new ChatRangeReader(c, inlineLimit, scope).readInTransaction(new KeyRange(0, null, null, 0), in.toString(), (id, userId, doc) -> {
                    if (doc == null) return;
                    extractor.extract(id, userId, doc, sink);
                    throttle.admitRead(doc.length());
                });
                out.write(encoder.buffer(), 0, encoder.length());
                out.write(BinaryCopyEncoder.TRAILER);
            }
            try (InputStream copyIn = new BufferedInputStream(Files.newInputStream(spool), 1 << 16)) {
                long copied = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY pgbackfill_catchup (" + TargetSchema.COLUMNS
                    + ") FROM STDIN (FORMAT binary)", copyIn);
                if (copied != rows[0]) {
                    throw new SQLException("catch-up: the server took " + copied + " rows of the " + rows[0] + " sent for chats " + ids, "XX000");
                }
            }
        } finally {
            Files.deleteIfExists(spool);
        }
        org.pgbackfill.state.Rejection.insertAll(c, schema, runId,
            rejections.stream().map(r -> new org.pgbackfill.state.Rejection.Claimed(r, null)).toList());
        return rows[0];
    }

    /**
     * The batch's own reconciliation, before its transaction commits: every row extracted from the
     * batch's chats was inserted or recorded as a rejection, and chat_message holds exactly the rows
     * inserted for those chats. A difference fails the batch (its transaction rolls back, nothing is
     * stamped) and names the chats.
     */
    private static void reconcile(Connection c, java.sql.Array ids, long extracted, long inserted, long rejected) throws SQLException {
        long held;
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM chat_message WHERE chat_id = ANY (?)")) {
            ps.setArray(1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                held = rs.getLong(1);
            }
        }
        if (extracted != inserted + rejected || held != inserted) {
            throw new SQLException("catch-up reconciliation failed for chats " + java.util.Arrays.toString((Object[]) ids.getArray())
                + ": " + extracted + " rows extracted, " + inserted + " inserted, " + rejected + " recorded as rejections, "
                + held + " in chat_message. Nothing of this batch was committed", "XX000");
        }
    }

    /**
     * The extracted rows into chat_message, keeping upstream's winner of a shared id; returns
     * {rows inserted, rows of the batch recorded as rejections (an id another chat keeps, too long for an index entry)}.
     */
    private long[] insert(Connection c) throws SQLException {
        String cols = TargetSchema.COLUMNS;
        // t's chat before m's in chat's physical order (ties, impossible between two live chats, by id)
        String earlier = "(" + TargetTable.chatOrder("t") + ", t.chat_id COLLATE " + idCollation + ") < (" + TargetTable.chatOrder("m")
            + ", m.chat_id COLLATE " + idCollation + ")";
        String inChatOrder = " ORDER BY " + TargetTable.chatOrder("s") + ", s.chat_id COLLATE " + idCollation;
        long inserted, rejected = 0;
        try (Statement st = c.createStatement()) {
            // an existing row of a chat later in chat's order loses its id to the first new row that produces it (recorded once)
            st.executeUpdate(duplicate("m", "t") + " FROM chat_message m JOIN (SELECT DISTINCT ON (s.id) s.* FROM pg_temp.pgbackfill_catchup s"
                + inChatOrder.replace(" ORDER BY ", " ORDER BY s.id, ") + ") t ON t.id = m.id WHERE " + earlier);
            st.executeUpdate("DELETE FROM chat_message m USING pg_temp.pgbackfill_catchup t WHERE t.id = m.id AND " + earlier);
            // in chat order: of two chats of the batch that produce one id, the first inserted keeps it, as upstream
            inserted = st.executeUpdate("INSERT INTO chat_message (" + cols + ") SELECT " + cols + " FROM pg_temp.pgbackfill_catchup s WHERE "
                + TargetSchema.FITS_INDEXES + inChatOrder + " ON CONFLICT (id) DO NOTHING");
        }
        // rows with long indexed values one by one (PostgreSQL judges whether they fit), in chat order too
        List<String> ctids = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT ctid::text FROM pg_temp.pgbackfill_catchup s WHERE NOT " + TargetSchema.FITS_INDEXES
                 + inChatOrder)) {
            while (rs.next()) ctids.add(rs.getString(1));
        }
        String row = " FROM pg_temp.pgbackfill_catchup s WHERE s.ctid = ?::tid";
        for (String ctid : ctids) {
            java.sql.Savepoint sp = c.setSavepoint();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat_message (" + cols + ") SELECT " + cols + row
                    + " ON CONFLICT (id) DO NOTHING")) {
                ps.setString(1, ctid);
                inserted += ps.executeUpdate();
                c.releaseSavepoint(sp);
            } catch (SQLException e) {
                c.rollback(sp);
                if (!SqlStates.PROGRAM_LIMIT_EXCEEDED.equals(e.getSQLState())) throw e;   // index row too large
                try (PreparedStatement reject = c.prepareStatement(TargetSchema.insertRowRejections(schema, runId, "s", "INDEX_ROW_TOO_LARGE", "?")
                        + row)) {
                    reject.setString(1, e.getMessage());
                    reject.setString(2, ctid);
                    rejected += reject.executeUpdate();
                }
            }
        }
        // last, so that long rows are counted too: a new row whose id another chat's row holds (an earlier chat's) loses
        try (Statement st = c.createStatement()) {
            rejected += st.executeUpdate(duplicate("t", "m") + " FROM pg_temp.pgbackfill_catchup t JOIN chat_message m ON m.id = t.id "
                + "AND m.chat_id <> t.chat_id");
        }
        return new long[] {inserted, rejected};
    }

    /** SQL recording row {@code loser} as a DUPLICATE_ID rejection because {@code winner} keeps the id (FROM clause to follow). */
    private String duplicate(String loser, String winner) {
        return TargetSchema.insertRowRejections(schema, runId, loser, "DUPLICATE_ID", TargetTable.duplicateDetail(loser, winner));
    }
}
