package org.pgbackfill.job.currentmessage;

import org.pgbackfill.online.CatchUp;
import org.pgbackfill.online.CatchUpPasses;
import org.pgbackfill.online.ChangeCapture;
import org.pgbackfill.source.ChatRangeReader;
import org.pgbackfill.source.KeyRange;
import org.pgbackfill.source.ReadGate;
import org.pgbackfill.source.Scope;
import org.pgbackfill.state.Rejection;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * The online catch-up of the current_message_id job: the chats {@link #capture} recorded (a change to
 * the chat's row or to one of its chat_message rows) are decided again from what they hold now, in
 * small transactions, exactly as the load decides them ({@link DocumentFacts}, the chat's rows in
 * physical order, {@link CurrentMessageRule}), and the column written directly where its value changes.
 *
 * <p>Per batch, in one READ COMMITTED transaction: the batch's change records are read; its chats are
 * locked {@code FOR UPDATE} in id order (a save of one of them, and a new chat_message row of one of
 * them, whose foreign key check locks the chat, wait for the batch's commit); their documents, their
 * chat_message rows and their values before the run are read; each chat is decided; the column is
 * written where it differs from the decided value; the batch's rejections replace the ones recorded
 * for its chats; and the change records are removed only at the version read, skipping any record
 * an application transaction holds locked (that transaction is about to record the chat again): a
 * chat changed meanwhile stays recorded for the next batch. Every record seen at the batch's start
 * was committed before its reads, so the reads see that change.
 *
 * <p>The first candidate of the rule is the column's value <em>before the run</em> ({@link
 * StagingTables#before()}), not what the column holds now: the merge and earlier catch-ups wrote the
 * column, and a value the tool computed from an older document must not outvote the chat's new
 * {@code currentId} (upstream, at the cut-over, would see the column as it was before). For the same
 * reason a chat with no value (or rejected) goes back to its value before the run.
 */
final class CurrentMessageCatchUp {
    /** Changed chats per transaction. */
    static final int BATCH = 200;

    private final StagingTables tables;
    private final String schema;
    private final long runId;
    private final int inlineLimit;
    private final ReadGate gate;
    private final ChangeCapture capture;

    CurrentMessageCatchUp(StagingTables tables, String schema, long runId, int inlineLimit, ReadGate gate, ChangeCapture capture) {
        this.tables = tables;
        this.schema = schema;
        this.runId = runId;
        this.inlineLimit = inlineLimit;
        this.gate = gate;
        this.capture = capture;
    }

    /** Every change recorded before the pass began, batch by batch, each in its own transaction. */
    CatchUp.Pass pass(Connection c, BiConsumer<Long, Long> progress) throws SQLException, IOException, InterruptedException {
        return CatchUpPasses.pass(c, capture.log(), this::batch, progress);
    }

    /** Everything recorded, in the caller's transaction (chat and chat_message locked against writes by the caller). */
    CatchUp.Pass drainInTransaction(Connection c) throws SQLException, IOException, InterruptedException {
        return CatchUpPasses.drain(c, this::batch);
    }

    /** A chat of the batch as it is now. */
    private static final class Chat {
        DocumentFacts facts;
        String actual;
        final List<ChatMessageRow> rows = new ArrayList<>();
    }

    /** One batch in the caller's transaction: {chats, chats whose column was written}. */
    private long[] batch(Connection c, long upTo) throws SQLException, IOException {
        CatchUpPasses.Changes changes = CatchUpPasses.next(c, capture.log(), upTo, BATCH);
        if (changes.isEmpty()) return new long[2];
        List<String> ids = changes.chatIds();
        List<Long> versions = changes.versions();
        java.sql.Array idArray = c.createArrayOf("text", ids.toArray());
        Map<String, Chat> chats = new LinkedHashMap<>();
        try (PreparedStatement lock = c.prepareStatement("SELECT id, current_message_id FROM chat WHERE id = ANY (?) ORDER BY id FOR UPDATE")) {
            lock.setArray(1, idArray);
            try (ResultSet rs = lock.executeQuery()) {
                while (rs.next()) {
                    Chat ch = new Chat();
                    ch.actual = rs.getString(2);
                    chats.put(rs.getString(1), ch);
                }
            }
        }
        if (!chats.isEmpty()) {
            StringBuilder in = new StringBuilder(" AND id IN (");
            int i = 0;
            for (String id : chats.keySet()) in.append(i++ == 0 ? "" : ", ").append(KeyRange.literal(id));
            in.append(')');
            new ChatRangeReader(c, inlineLimit, Scope.EVERY_CHAT).readInTransaction(new KeyRange(0, null, null, 0), in.toString(),
                (id, userId, doc) -> {
                    Chat ch = chats.get(id);
                    if (ch == null) return;
                    ch.facts = DocumentFacts.read(doc);
                    if (doc != null) gate.admitRead(doc.length());
                });
            ChatBatches.rowsOf(c, idArray).forEach((id, rows) -> {
                Chat ch = chats.get(id);
                if (ch != null) ch.rows.addAll(rows);
            });
        }
        Map<String, String> before = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT chat_id, value FROM " + tables.before() + " WHERE chat_id = ANY (?)")) {
            ps.setArray(1, idArray);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) before.put(rs.getString(1), rs.getString(2));
            }
        }
        List<String[]> writes = new ArrayList<>();
        Map<String, String> decided = new LinkedHashMap<>();   // each locked chat's value after this batch
        Map<String, String> originals = new HashMap<>();
        List<Object[]> rejections = new ArrayList<>();   // chat id, reason, detail
        for (Map.Entry<String, Chat> e : chats.entrySet()) {
            String id = e.getKey();
            Chat ch = e.getValue();
            if (ch.facts == null) {   // locked, yet its document was not read: nothing may be decided without it
                throw new SQLException("catch-up reconciliation failed for chats " + ids + ": chat " + id + " is locked but its document "
                    + "was not read. Nothing of this batch was committed", "XX000");
            }
            String original = before.get(id);
            originals.put(id, original);
            CurrentMessageOutcome o = CurrentMessageRule.decide(id, original, ch.facts, ch.rows);
            String value = original;
            if (o instanceof CurrentMessageOutcome.Write w) value = w.value();
            else if (o instanceof CurrentMessageOutcome.Rejected x) rejections.add(new Object[] {id, x.reason().name(), x.detail()});
            decided.put(id, value);
            if (!Objects.equals(value, ch.actual)) writes.add(new String[] {id, value});
        }
        long[] updated = {0};
        RefusedValues.Write update = (conn, w) -> updated[0] += update(conn, w);
        // a value the server refuses is recorded, and its chat goes back to its value before the run
        List<RefusedValues.Refused> refused = RefusedValues.write(c, writes, update);
        long expectedUpdates = writes.size() - refused.size();
        if (!refused.isEmpty()) {
            List<String[]> restores = new ArrayList<>();
            for (RefusedValues.Refused r : refused) {
                rejections.add(new Object[] {r.chatId(), CurrentMessageReject.VALUE_REFUSED.name(), r.detail()});
                String original = originals.get(r.chatId());
                decided.put(r.chatId(), original);
                if (!Objects.equals(original, chats.get(r.chatId()).actual)) restores.add(new String[] {r.chatId(), original});
            }
            update.write(c, restores);   // values the column held before: the server takes them
            expectedUpdates += restores.size();
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + schema + ".rejected_chat WHERE run_id = ? AND chat_id = ANY (?)")) {
            ps.setLong(1, runId);
            ps.setArray(2, idArray);
            ps.executeUpdate();
        }
        if (!rejections.isEmpty()) insertRejections(c, rejections);
        reconcile(c, ids, chats.size(), decided, expectedUpdates, updated[0], rejections.size());
        // only at the version read, and not a record an application transaction holds (it is recording the chat again)
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + capture.log() + " WHERE ctid = ANY (ARRAY(SELECT l.ctid FROM "
                + capture.log() + " l JOIN unnest(?::text[], ?::bigint[]) d(id, v) ON l.chat_id = d.id AND l.version = d.v "
                + "FOR UPDATE OF l SKIP LOCKED))")) {
            ps.setArray(1, idArray);
            ps.setArray(2, c.createArrayOf("int8", versions.toArray()));
            ps.executeUpdate();
        }
        return new long[] {ids.size(), updated[0]};
    }

    /** Writes each (chat id, value) pair where the column differs; returns the chats updated. */
    private static long update(Connection c, List<String[]> writes) throws SQLException {
        if (writes.isEmpty()) return 0;
        try (PreparedStatement ps = c.prepareStatement("UPDATE chat SET current_message_id = d.v FROM unnest(?::text[], ?::text[]) d(id, v) "
                + "WHERE chat.id = d.id AND chat.current_message_id IS DISTINCT FROM d.v")) {
            ps.setArray(1, c.createArrayOf("text", writes.stream().map(w -> w[0]).toArray()));
            ps.setArray(2, c.createArrayOf("text", writes.stream().map(w -> w[1]).toArray()));
            return ps.executeUpdate();
        }
    }

    /**
     * The batch's own reconciliation, before its transaction commits (as the first job's catch-up
     * reconciles its rows): every chat of the batch's change records was locked and decided, or is
     * gone; the column was updated exactly where the decided value differed; every locked chat now
     * holds its decided value; the batch's chats hold exactly the rejections decided for them. A
     * difference fails the batch (its transaction rolls back, nothing is stamped) and names the chats.
     */
    private void reconcile(Connection c, List<String> ids, int locked, Map<String, String> decided, long expectedUpdates, long updated,
                           long rejected) throws SQLException {
        long wrong, recorded, present;
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FILTER (WHERE chat.current_message_id IS DISTINCT FROM d.v), "
                + "count(chat.id) FROM unnest(?::text[], ?::text[]) d(id, v) LEFT JOIN chat ON chat.id = d.id")) {
            ps.setArray(1, c.createArrayOf("text", decided.keySet().toArray()));
            ps.setArray(2, c.createArrayOf("text", decided.values().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                wrong = rs.getLong(1);
                present = rs.getLong(2);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + schema + ".rejected_chat WHERE run_id = ? AND chat_id = ANY (?)")) {
            ps.setLong(1, runId);
            ps.setArray(2, c.createArrayOf("text", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                recorded = rs.getLong(1);
            }
        }
        if (decided.size() != locked || present != locked || updated != expectedUpdates || wrong != 0 || recorded != rejected) {
            throw new SQLException("catch-up reconciliation failed for chats " + ids + ": " + locked + " chats locked, " + decided.size()
                + " decided, " + present + " still there; " + expectedUpdates + " values to write, " + updated + " written, " + wrong
                + " chats not holding their decided value; " + rejected + " rejections decided, " + recorded + " recorded. "
                + "Nothing of this batch was committed", "XX000");
        }
    }

    private void insertRejections(Connection c, List<Object[]> rejections) throws SQLException {
        Map<String, String> prefixes = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, left(chat::text, " + RangeWork.RAW_PREFIX_CHARS + ") FROM chat "
                + "WHERE id = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("text", rejections.stream().map(x -> x[0]).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) prefixes.put(rs.getString(1), rs.getString(2));
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema + ".rejected_chat (run_id, range_id, attempt, chat_id, "
                + "reason, detail, raw_prefix) VALUES (?, NULL, NULL, ?, ?, ?, ?)")) {
            for (Object[] x : rejections) {
                ps.setLong(1, runId);
                ps.setString(2, (String) x[0]);
                ps.setString(3, (String) x[1]);
                ps.setString(4, Rejection.textSafe((String) x[2]));
                ps.setString(5, prefixes.get((String) x[0]));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }
}
