package org.pgbackfill.job.currentmessage;

import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.job.DocumentSample;
import org.pgbackfill.job.DryRunRequest;
import org.pgbackfill.job.JobEstimate;
import org.pgbackfill.source.Scope;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The current_message_id job's dry run: a timed sample of chats decided as the load decides them
 * (each document read into its {@link DocumentFacts}, each batch's chat_message rows looked up in
 * physical order, {@link CurrentMessageRule}), which gives the speed of one connection and the share
 * of chats whose value changes; scaled to the plan, the load, the merge's UPDATE of those chats, the
 * staging and the WAL.
 *
 * <p>For a later step of an upgrade path (the database not yet at 856c5b02fb54), chat_message may not
 * exist: the sample then decides from the documents alone, and its lookups are not timed.
 */
final class CurrentMessageEstimate {
    /** Chats per lookup of rows: a smaller batch than the load's, so that a short calibration sees several. */
    static final int SAMPLE_BATCH = 200;
    /**
     * The merge, per chat whose value changes: 1.75 s for 19,547 chats (an UPDATE … FROM staging in
     * batches of 20,000) on this project's 2-core benchmark machine, PostgreSQL 15.
     */
    static final double MERGE_SECONDS_PER_CHAT = 1.75 / 19_547;
    /** A staged value's bytes: range, attempt, the two ids and the tuple's header. */
    static final long STAGED_BYTES_PER_CHAT = 120;
    /**
     * WAL per updated chat, over the bytes of chat's heap row it rewrites (the document stays in
     * TOAST, untouched): 18.0 MB for 19,547 chats of about 660 heap bytes each, as measured there.
     */
    static final double WAL_OVER_HEAP_ROW = 1.4;

    private CurrentMessageEstimate() { }

    private record Sampled(String chatId, DocumentFacts facts) { }

    static JobEstimate estimate(Connection c, DryRunRequest r) throws SQLException {
        boolean rows = r.atStartRevision() || !CurrentMessageCheck.columns(c, "chat_message").isEmpty();
        boolean column = CurrentMessageCheck.columns(c, "chat").containsKey("current_message_id");
        long[] decided = new long[2];   // writes, rejections
        List<Sampled> batch = new ArrayList<>();
        Map<String, String> current = new HashMap<>();
        DocumentSample sample = DocumentSample.read(c, r, Scope.EVERY_CHAT, column ? ", current_message_id" : ", NULL",
            new DocumentSample.Reader() {
                @Override public void read(ResultSet rs, byte[] doc) throws SQLException, IOException {
                    if (rs.getString(4) != null) current.put(rs.getString(1), rs.getString(4));
                    batch.add(new Sampled(rs.getString(1), doc == null ? DocumentFacts.EMPTY : DocumentFacts.read(DocumentSource.of(doc))));
                    if (batch.size() >= SAMPLE_BATCH) decide(c, batch, current, rows, decided);
                }

                @Override public void end() throws SQLException { decide(c, batch, current, rows, decided); }
            });
        long writes = decided[0], rejected = decided[1];
        long chats = sample.chats(), planChats = sample.planChats();
        long docBytes = sample.documentBytes();
        long changing = sample.perChat(writes);
        long rejections = sample.perChat(rejected);
        long heapRow = heapBytesPerChat(c, planChats);
        long staging = changing * STAGED_BYTES_PER_CHAT;
        long grown = changing * heapRow;   // the new versions of the updated rows, until vacuum reclaims the old ones
        long wal = (long) (changing * heapRow * WAL_OVER_HEAP_ROW) + staging;
        String made = String.format("estimate: about %d chats get a value (%d of the %d sampled), %s; %.1f MB of documents%s%n",
                changing, writes, chats, rejections == 0 ? "none rejected" : "about " + rejections + " rejected", docBytes / 1e6,
                rows ? "" : " (chat_message is not there yet: the sample decided from the documents alone)");
        String disk = String.format("disk on the server: staging about %.1f MB (dropped at the stamp), chat grows about %.1f MB, "
                + "WAL about %.1f MB: about %.1f MB in all%n", staging / 1e6, grown / 1e6, wal / 1e6, (staging + grown + wal) / 1e6);
        return sample.estimate("merge", changing * MERGE_SECONDS_PER_CHAT, staging + grown + wal, made, disk);
    }

    /** Decides {@code batch} as the load would (its rows looked up when chat_message is there), counts, and empties it. */
    private static void decide(Connection c, List<Sampled> batch, Map<String, String> current, boolean rows, long[] decided)
            throws SQLException {
        if (batch.isEmpty()) return;
        Map<String, List<ChatMessageRow>> found = rows
            ? ChatBatches.rowsOf(c, c.createArrayOf("text", batch.stream().map(Sampled::chatId).toArray())) : Map.of();
        for (Sampled s : batch) {
            CurrentMessageOutcome o = CurrentMessageRule.decide(s.chatId(), current.get(s.chatId()), s.facts(),
                found.getOrDefault(s.chatId(), List.of()));
            if (o instanceof CurrentMessageOutcome.Write) decided[0]++;
            else if (o instanceof CurrentMessageOutcome.Rejected) decided[1]++;
        }
        batch.clear();
        current.clear();
    }

    /** chat's heap (the documents are in TOAST) over its rows: what an UPDATE of one chat rewrites. */
    private static long heapBytesPerChat(Connection c, long chats) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_relation_size('chat')")) {
            rs.next();
            return rs.getLong(1) / Math.max(1, chats);
        }
    }
}
