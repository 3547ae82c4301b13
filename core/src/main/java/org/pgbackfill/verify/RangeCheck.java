package org.pgbackfill.verify;

import org.pgbackfill.job.chatmessage.ChatMessageJob;
import org.pgbackfill.source.ChatRangeReader;
import org.pgbackfill.source.KeyRange;
import org.pgbackfill.verify.ChatComparison.ChangedRow;
import org.pgbackfill.verify.ChatComparison.MissingRows;
import org.pgbackfill.verify.StoredRows.StoredRow;

import org.pgbackfill.schema.TargetTable;

import java.io.IOException;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks one range of chat ids on one connection, in one REPEATABLE READ snapshot, so that chats
 * and their rows are seen at the same instant even while Open WebUI writes: the stored rows of the
 * range are read and hashed first, then the chats are streamed (exactly as the load phase reads
 * them) and compared one by one, then what needs further queries is resolved: missing ids that a
 * lower chat id holds (a collision upstream's order settles), the values of changed rows, and rows
 * of chats that were never read.
 */
final class RangeCheck {
    private static final int LOOKUP_BATCH = 5_000;

    private final Connection conn;
    private final CheckContext ctx;
    private final RowEncoder encoder = new RowEncoder();
    private final ChatComparison comparison;
    private final ChatRangeReader reader;

    RangeCheck(Connection conn, CheckContext ctx) {
        this.conn = conn;
        this.ctx = ctx;
        this.comparison = new ChatComparison(ctx, encoder);
        this.reader = new ChatRangeReader(conn, ctx.inlineDocumentBytes(), ChatMessageJob.SCOPE);
    }

    void check(KeyRange range) throws SQLException, IOException {
        ChatRangeReader.beginSnapshot(conn);
        try {
            StoredRows stored = StoredRows.read(conn, ctx.storedRowsOf(range), encoder, ctx.log());
            ctx.tally().rowsStored.add(stored.count());
            comparison.startRange();
            reader.readInTransaction(range, ctx.sampleOn("id"),
                (chatId, userId, doc) -> comparison.compare(chatId, userId, doc, stored.take(chatId)));
            resolveMissing(comparison.missing);
            describeChanged(comparison.changed);
            reportOrphans(stored.leftover());
            conn.commit();
        } catch (SQLException | IOException | RuntimeException e) {
            try {
                conn.rollback();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        ctx.tally().ranges.increment();
    }

    /**
     * Two chats can produce the same id ({@code 'a' + '-' + 'b-c'} = {@code 'a-b' + '-' + 'c'}); the
     * chat that comes first in chat's physical order keeps it (upstream reads chat with no ORDER BY).
     * A missing row whose id is stored for a chat before this one is therefore fine; any other is a
     * mismatch.
     */
    private void resolveMissing(List<MissingRows> missing) throws SQLException {
        if (missing.isEmpty()) return;
        List<String> ids = new ArrayList<>(), chats = new ArrayList<>();
        for (MissingRows m : missing) {
            for (String id : m.ids()) {
                ids.add(id);
                chats.add(m.chatId());
            }
        }
        Map<Integer, String> holder = new HashMap<>();     // index in ids → chat id holding it
        Map<Integer, Boolean> lower = new HashMap<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT p.ord, m.chat_id, " + TargetTable.chatOrder("m") + " < "
                + TargetTable.chatOrder("p") + " FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS p(id, chat_id, ord) "
                + "JOIN chat_message m ON m.id = p.id")) {
            for (int from = 0; from < ids.size(); from += LOOKUP_BATCH) {
                int to = Math.min(ids.size(), from + LOOKUP_BATCH);
                Array a = conn.createArrayOf("text", ids.subList(from, to).toArray());
                Array b = conn.createArrayOf("text", chats.subList(from, to).toArray());
                ps.setArray(1, a);
                ps.setArray(2, b);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int i = from + rs.getInt(1) - 1;
                        holder.put(i, rs.getString(2));
                        lower.merge(i, rs.getBoolean(3), Boolean::logicalOr);
                    }
                }
                a.free();
                b.free();
            }
        }
        int i = 0;
        for (MissingRows m : missing) {
            List<String> unresolved = new ArrayList<>(), heldBy = new ArrayList<>(), notes = new ArrayList<>();
            for (int k = 0; k < m.ids().size(); k++, i++) {
                if (Boolean.TRUE.equals(lower.get(i))) {
                    ctx.tally().collisions.increment();
                } else {
                    unresolved.add(m.ids().get(k));
                    heldBy.add(holder.get(i));
                    notes.add(m.notes().get(k));
                }
            }
            if (!m.anyStored() && unresolved.size() == m.expected()) {
                ctx.log().add(new Mismatch(Mismatch.Kind.MISSING_CHAT, m.chatId(), null, "none of its " + m.expected()
                    + " rows is stored (" + Shown.quoted(unresolved.get(0)) + (unresolved.size() > 1 ? ", …" : "") + ")"));
                continue;
            }
            for (int k = 0; k < unresolved.size(); k++) {
                String by = heldBy.get(k);
                String detail = by != null ? "the id is stored for chat " + Shown.quoted(by) + ", which does not come before "
                    + "this chat in chat's physical order (the first chat keeps an id two chats produce)" : "no row with this id";
                if (notes.get(k) != null) detail += "; " + notes.get(k);
                ctx.log().add(new Mismatch(Mismatch.Kind.MISSING_ROW, m.chatId(), unresolved.get(k), detail));
            }
        }
    }

    private void describeChanged(List<ChangedRow> changed) throws SQLException {
        for (ChangedRow c : changed) {
            if (ctx.log().full()) {
                ctx.log().count(Mismatch.Kind.CHANGED_ROW);
                continue;
            }
            StoredValues v = StoredRows.fetch(conn, c.stored().id(), c.expected().chatId);
            String detail = v == null ? "the row could not be read again"
                : RowDifferences.describe(encoder, ctx.createdAt(), c.expected(), v, c.timestampsMatch());
            ctx.log().add(new Mismatch(Mismatch.Kind.CHANGED_ROW, c.expected().chatId, c.expected().id, detail));
        }
    }

    /** Rows whose chat id was not among the chats read: the chat is gone, or the backfill does not read it. */
    private void reportOrphans(Map<String, Map<String, StoredRow>> leftover) throws SQLException {
        if (leftover.isEmpty()) return;
        Map<String, String> userIds = new HashMap<>();
        Map<String, Boolean> exists = new HashMap<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT id, user_id FROM chat WHERE id = ANY(?)")) {
            Array a = conn.createArrayOf("text", leftover.keySet().toArray());
            ps.setArray(1, a);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    exists.put(rs.getString(1), true);
                    userIds.put(rs.getString(1), rs.getString(2));
                }
            }
            a.free();
        }
        for (Map.Entry<String, Map<String, StoredRow>> e : leftover.entrySet()) {
            String chatId = e.getKey();
            int n = e.getValue().size();
            String first = e.getValue().keySet().iterator().next();
            String why;
            if (!exists.containsKey(chatId)) {
                why = "there is no chat with this id";
            } else if (userIds.get(chatId) == null) {
                why = "the chat's user_id is NULL, so the backfill does not read it";
            } else {
                why = "the chat is a shared copy (user_id " + Shown.quoted(userIds.get(chatId)) + "), which the backfill does not read";
            }
            ctx.log().add(new Mismatch(Mismatch.Kind.ORPHAN_ROWS, chatId, n == 1 ? first : null,
                n + " row" + (n == 1 ? " is" : "s are") + " stored for it, but " + why
                    + (n == 1 ? "" : " (" + Shown.quoted(first) + ", …)")));
        }
    }
}
