package org.pgbackfill.job.chatmessage;

import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.job.DocumentSample;
import org.pgbackfill.job.DryRunRequest;
import org.pgbackfill.job.JobEstimate;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The first job's dry run: a timed sample of documents extracted as the load extracts them, which
 * gives the rows and bytes per stored byte of documents and the speed of one connection; scaled to
 * the plan, the rows, the table, its indexes and the WAL the run would write.
 */
final class ChatMessageEstimate {
    /** A chat_message row's bytes beside its message JSON: the other columns, the tuple header, alignment. */
    static final long ROW_OVERHEAD_BYTES = 120;
    /**
     * A message row compresses worse than the whole document it came from (most rows are below
     * TOAST's 2 kB threshold and are stored as they are): measured on seeded chats, 9.7 MB for 6.4 to
     * 7.2 MB without this factor.
     */
    static final double ROWS_OVER_DOCUMENT_COMPRESSION = 1.45;
    /** Index entries: about 100 bytes a row for each of the eight indexes. */
    static final long INDEX_BYTES_PER_ROW = 100L * 8;
    /**
     * The build (eight indexes, the shared ids, the primary and the foreign key), per row: 1.5 s for
     * 183,653 rows on this project's 2-core benchmark machine (bench/RESULTS.md, 2026-11-23).
     */
    static final double BUILD_SECONDS_PER_ROW = 1.5 / 183_653;

    private ChatMessageEstimate() { }

    static JobEstimate estimate(Connection c, DryRunRequest r) throws SQLException {
        long[] rows = {0}, rowBytes = {0};
        ExtractionSink counting = new ExtractionSink() {
            @Override public void row(MessageRow row) { rows[0]++; rowBytes[0] += row.messageJson.length + row.id.length() + 64; }
            @Override public void rejectedMessage(String chatId, String key, RejectReason reason, String detail, byte[] raw) { }
            @Override public void rejectedChat(String chatId, RejectReason reason, String detail, byte[] prefix) { }
        };
        MessageExtractor extractor = new MessageExtractor(r.nowEpoch(), r.inlineBytes(), r.asciiJson());
        DocumentSample sample = DocumentSample.read(c, r, ChatMessageJob.SCOPE, ", user_id", (rs, doc) -> {
            if (doc != null) extractor.extract(rs.getString(1), rs.getString(4), DocumentSource.of(doc), counting);
        });
        boolean ratios = sample.byStoredBytes();
        long docBytes = sample.documentBytes();
        long estRows = sample.scaled(rows[0]);
        long estRowBytes = rows[0] == 0 ? 0 : rowBytes[0] * estRows / rows[0];
        // chat_message is TOAST-compressed like chat: its rows take about the share of chat's stored size that their bytes
        // are of the documents' bytes, plus each row's other columns and tuple overhead
        long table = (ratios ? (long) (r.scaled(rowBytes[0], sample.bytes()) * ROWS_OVER_DOCUMENT_COMPRESSION) : estRowBytes)
            + estRows * ROW_OVERHEAD_BYTES;
        long indexes = estRows * INDEX_BYTES_PER_ROW;
        long wal = table + indexes;
        String made = String.format("estimate: about %d messages, %.1f MB of documents, %.1f MB of row data%n",
                estRows, docBytes / 1e6, estRowBytes / 1e6);
        String disk = String.format("disk on the server: chat_message about %.1f MB, its indexes about %.1f MB, WAL about %.1f MB: "
                + "about %.1f MB in all%n", table / 1e6, indexes / 1e6, wal / 1e6, (table + indexes + wal) / 1e6);
        return sample.estimate("indexes and constraints", estRows * BUILD_SECONDS_PER_ROW, table + indexes + wal, made, disk);
    }
}
