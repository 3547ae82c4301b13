package org.pgbackfill.job;

import org.pgbackfill.source.Scope;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A dry run's sample of chats: a repeatable 5% of chat's blocks, read for the request's calibration
 * time ({@link SampleClock}), each document handed to the job to be read as its load reads it; the
 * chats, their documents' bytes and their stored bytes counted, and what is counted scaled to the
 * plan. Documents above the inline limit are left out: a run spools them.
 */
public final class DocumentSample {
    /** What the job does with each sampled chat. */
    @FunctionalInterface
    public interface Reader {
        /**
         * One chat: {@code row} is at its columns (1 its id, 2 its document, 3 the document's stored
         * size, then the columns the job asked for); {@code document} is null for a chat without one.
         */
        void read(ResultSet row, byte[] document) throws SQLException, IOException;

        /** After the last chat, before the clock stops: what the job still has to decide. */
        default void end() throws SQLException { }
    }

    private final DryRunRequest request;
    private long chats, bytes, stored;
    private double seconds, bytesPerSecond;

    private DocumentSample(DryRunRequest request) {
        this.request = request;
    }

    /** Reads the sample of the chats of {@code scope}, with {@code columns} (", a, b" or "") after the three of every row. */
    public static DocumentSample read(Connection c, DryRunRequest r, Scope scope, String columns, Reader reader) throws SQLException {
        DocumentSample s = new DocumentSample(r);
        SampleClock clock = new SampleClock(r.calibrationSeconds());
        try (Statement st = c.createStatement()) {
            st.setFetchSize(50);
            // the document is decompressed once, in a subquery kept apart by OFFSET 0 (as ChatRangeReader's), not
            // once for the length test and again for the select list
            try (ResultSet rs = st.executeQuery("SELECT * FROM (SELECT id, chat::text AS doc, pg_column_size(chat)" + columns
                    + " FROM chat TABLESAMPLE SYSTEM (5) REPEATABLE (7) WHERE " + scope.predicate() + " OFFSET 0) s "
                    + "WHERE octet_length(s.doc) <= " + r.inlineBytes())) {
                while (clock.running() && rs.next()) {
                    byte[] doc = rs.getBytes(2);
                    s.chats++;
                    if (doc != null) {
                        s.bytes += doc.length;
                        s.stored += rs.getLong(3);
                    }
                    try {
                        reader.read(rs, doc);
                    } catch (IOException e) {
                        throw new SQLException("reading a sample document failed: " + e.getMessage(), e);
                    }
                    if (doc != null) clock.read(doc.length);
                }
            }
        }
        reader.end();
        s.seconds = clock.seconds();
        s.bytesPerSecond = clock.bytesPerSecond();
        return s;
    }

    /** The chats sampled. */
    public long chats() { return chats; }

    /** Their documents' bytes. */
    public long bytes() { return bytes; }

    /** The plan's chats, and at least the sample's (the table's statistics may be behind). */
    public long planChats() { return Math.max(request.plan().estimatedChats(), chats); }

    /**
     * Whether the sample scales by stored bytes: ratios per stored byte vary much less from sample to
     * sample than sizes per chat do, and the table's stored size, known exactly, scales them.
     */
    public boolean byStoredBytes() { return stored > 0 && bytes > 0 && request.plan().estimatedBytes() > 0; }

    /** {@code counted} in the sample, scaled to the plan by stored bytes where {@link #byStoredBytes} (else by chats). */
    public long scaled(long counted) { return byStoredBytes() ? request.scaled(counted, stored) : perChat(counted); }

    /** {@code counted} in the sample, scaled to the plan by chats: for what goes by chat, not by size. */
    public long perChat(long counted) { return chats == 0 ? 0 : counted * planChats() / chats; }

    /** The plan's documents' bytes. */
    public long documentBytes() { return scaled(bytes); }

    /**
     * The estimate, with the sample's figures: how long it took and its rate on one connection, and
     * the load at that rate with the request's parallelism.
     */
    public JobEstimate estimate(String afterLoad, double afterLoadSeconds, long serverBytes, String made, String disk) {
        double loadSeconds = bytesPerSecond <= 0 ? 0 : documentBytes() / (bytesPerSecond * request.parallelism());
        return new JobEstimate(chats, bytes, seconds, bytesPerSecond, loadSeconds, afterLoad, afterLoadSeconds, serverBytes, made, disk);
    }
}
