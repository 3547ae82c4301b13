package org.pgbackfill.engine;

import org.pgbackfill.job.chatmessage.ChatMessageJob;
import org.pgbackfill.BackfillException;
import org.pgbackfill.state.ControlTables;

import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.source.RangePlanner;
import org.pgbackfill.schema.SchemaCheck;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;

/**
 * A dry run (the command line's plan): what a run would do, without doing it. It runs the checks, plans the
 * ranges from a sample, reads a sample of documents for a few seconds (a calibration: how fast
 * this server streams and this machine extracts, and how many rows and bytes documents yield),
 * and estimates the duration and the disk the run will need. Everything is read in a READ ONLY
 * transaction: nothing is created or written.
 */
public final class DryRun {
    /** A chat_message row's bytes beside its message JSON: the other columns, the tuple header, alignment. */
    static final long ROW_OVERHEAD_BYTES = 120;
    static final double ROWS_OVER_DOCUMENT_COMPRESSION = 1.45;

    /** What a run would look like. */
    public record Estimate(RangePlanner.Plan plan, long chats, long storedBytes, long calibrationChats, long calibrationBytes,
                           double calibrationSeconds, long estimatedRows, long estimatedDocumentBytes, long estimatedRowBytes,
                           double estimatedLoadSeconds, long tableBytes, long indexBytes, long walBytes, Disk disk) {

        /** On the server: the table, its indexes and the WAL; the client only needs its spool. */
        public long serverBytes() { return tableBytes + indexBytes + walBytes; }

        public String describe(int workers) {
            StringBuilder b = new StringBuilder();
            b.append(String.format("chat: about %d chats to migrate, %.1f MB stored (compressed)%n", chats, storedBytes / 1e6));
            b.append(String.format("plan: %d ranges for %d workers%n", plan.ranges().size(), workers));
            for (var r : plan.ranges()) b.append("  ").append(r).append(String.format(", about %.1f MB stored%n", r.estimatedBytes() / 1e6));
            b.append(String.format("calibration: read and extracted %d chats (%.1f MB of documents) in %.2f s: %.1f MB/s on one connection%n",
                calibrationChats, calibrationBytes / 1e6, calibrationSeconds, calibrationSeconds > 0 ? calibrationBytes / 1e6 / calibrationSeconds : 0));
            b.append(String.format("estimate: about %d messages, %.1f MB of documents, %.1f MB of row data%n",
                estimatedRows, estimatedDocumentBytes / 1e6, estimatedRowBytes / 1e6));
            b.append(String.format("duration: load about %.0f s with %d workers (if the server scales to them), then indexes%n",
                estimatedLoadSeconds, workers));
            b.append(String.format("disk on the server: chat_message about %.1f MB, its indexes about %.1f MB, WAL about %.1f MB: "
                + "about %.1f MB in all%n", tableBytes / 1e6, indexBytes / 1e6, walBytes / 1e6, serverBytes() / 1e6));
            b.append(disk.describeServer(serverBytes()));
            b.append(disk.describeSpool());
            b.append("nothing was written: this was a dry run\n");
            return b.toString();
        }
    }

    /**
     * Free space where the run writes. The server's disk is seen only when the server runs on this
     * machine and its data directory is readable from here (PostgreSQL has no SQL function for free
     * space); otherwise it is unknown and the operator is told where to look.
     *
     * @param serverDirectory the data directory, or null when the role may not read it
     * @param serverFree      bytes free there, or -1 when unknown from here
     * @param spoolBytes      spool the run may need on this machine at most: one large document per worker
     */
    public record Disk(String serverDirectory, long serverFree, java.nio.file.Path spoolDirectory, long spoolBytes, long spoolFree) {
        /** Headroom on top of the estimate: estimates are rough, and a full disk stops the server. */
        static final double MARGIN = 1.25;

        public String describeServer(long needed) {
            if (serverFree < 0) {
                return "  free there: unknown from here (PostgreSQL does not report it" + (serverDirectory == null ? "" : "; data directory "
                    + serverDirectory) + "): check with df on the server that at least " + mb(needed * MARGIN) + " are free\n";
            }
            String line = "  free there: " + mb(serverFree) + " (data directory " + serverDirectory + ")\n";
            return serverFree < needed * MARGIN ? line + "WARNING: the server may run out of disk: free at least " + mb(needed * MARGIN)
                + " (the estimate and a margin) before running\n" : line;
        }

        public String describeSpool() {
            String line = "disk on this machine: up to about " + mb(spoolBytes) + " of spool in " + spoolDirectory
                + " (large documents, one per worker, while they are extracted); free there: " + (spoolFree < 0 ? "unknown" : mb(spoolFree)) + "\n";
            return spoolFree >= 0 && spoolFree < spoolBytes * MARGIN ? line + "WARNING: this machine may run out of disk for the spool: "
                + "free space in " + spoolDirectory + ", or point -Djava.io.tmpdir elsewhere\n" : line;
        }

        private static String mb(double bytes) { return String.format("%.1f MB", bytes / 1e6); }
    }

    private DryRun() { }

    /** Free space on the server's disk (when visible from here) and on this machine's spool directory. */
    static Disk disk(Connection c, long largestStoredDocument, int workers, long inlineDocumentBytes) {
        String dir = null;
        long free = -1;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_setting('data_directory')")) {
            if (rs.next()) dir = rs.getString(1);
        } catch (SQLException notAllowed) {
            // pg_read_all_settings is needed to read it; free space stays unknown
        }
        if (dir != null) {
            try {
                java.nio.file.Path p = java.nio.file.Path.of(dir);
                // a directory of that name here is the server's only if the server runs here
                if (java.nio.file.Files.isDirectory(p) && java.nio.file.Files.exists(p.resolve("PG_VERSION"))) {
                    free = java.nio.file.Files.getFileStore(p).getUsableSpace();
                }
            } catch (java.io.IOException | RuntimeException unreadable) {
                free = -1;
            }
        }
        java.nio.file.Path tmp = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
        long spoolFree;
        try {
            spoolFree = java.nio.file.Files.getFileStore(tmp).getUsableSpace();
        } catch (java.io.IOException e) {
            spoolFree = -1;
        }
        // stored (compressed) size times four: about the raw JSON a spooled document takes
        // only documents above the inline limit (BackfillConfig.inlineDocumentBytes) are spooled
        long raw = Math.max(0, largestStoredDocument) * 4;
        long spool = raw <= inlineDocumentBytes ? 0 : raw * Math.max(1, workers);
        return new Disk(dir, free, tmp.resolve("pgbackfill-spool"), spool, spoolFree);
    }

    /** Runs the checks and the estimate on {@code c} (which it leaves as it found it). */
    public static Estimate estimate(Connection c, BackfillConfig config, double calibrationSeconds) throws SQLException, BackfillException {
        ControlTables control = new ControlTables(config.schema());
        ControlTables.OpenRun open = control.openRun(c);
        SchemaCheck.Facts facts = SchemaCheck.check(c, control, open != null && open.createdTarget());
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            RangePlanner.Plan plan = new RangePlanner(config.workers() * config.rangesPerWorker(), Backfill.MAX_RANGE_BYTES, ChatMessageJob.SCOPE).plan(c);
            long[] rows = {0}, rowBytes = {0};
            ExtractionSink counting = new ExtractionSink() {
                @Override public void row(MessageRow row) { rows[0]++; rowBytes[0] += row.messageJson.length + row.id.length() + 64; }
                @Override public void rejectedMessage(String chatId, String key, RejectReason reason, String detail, byte[] raw) { }
                @Override public void rejectedChat(String chatId, RejectReason reason, String detail, byte[] prefix) { }
            };
            long now = config.nowEpoch() != null ? config.nowEpoch() : Instant.now().getEpochSecond();
            MessageExtractor extractor = new MessageExtractor(now, config.inlineDocumentBytes(), facts.asciiJson());
            long chats = 0, bytes = 0, stored = 0;
            long start = System.nanoTime(), limit = (long) (calibrationSeconds * 1e9);
            st.setFetchSize(50);
            try (ResultSet rs = st.executeQuery("SELECT id, user_id, convert_to(chat::text, 'UTF8'), pg_column_size(chat) FROM chat TABLESAMPLE SYSTEM (5) "
                    + "REPEATABLE (7) WHERE " + ChatMessageJob.SCOPE.predicate() + " AND octet_length(chat::text) <= " + config.inlineDocumentBytes())) {
                while (rs.next() && System.nanoTime() - start < limit) {
                    byte[] doc = rs.getBytes(3);
                    chats++;
                    if (doc == null) continue;
                    bytes += doc.length;
                    stored += rs.getLong(4);
                    try {
                        extractor.extract(rs.getString(1), rs.getString(2), DocumentSource.of(doc), counting);
                    } catch (java.io.IOException e) {
                        throw new SQLException("reading a sample document failed: " + e.getMessage(), e);
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long planChats = Math.max(plan.estimatedChats(), chats);
            double perChatBytes = chats == 0 ? 0 : (double) bytes / chats;
            double perChatRows = chats == 0 ? 0 : (double) rows[0] / chats;
            double perRowBytes = rows[0] == 0 ? 0 : (double) rowBytes[0] / rows[0];
            // The sample gives ratios (raw bytes and rows per stored byte, row bytes per raw byte), which vary much less from
            // sample to sample than sizes per chat do; the table's stored size, known exactly, scales them.
            boolean ratios = stored > 0 && bytes > 0 && plan.estimatedBytes() > 0;
            long docBytes = ratios ? (long) ((double) bytes / stored * plan.estimatedBytes()) : (long) (perChatBytes * planChats);
            long estRows = ratios ? (long) ((double) rows[0] / stored * plan.estimatedBytes()) : (long) (perChatRows * planChats);
            long estRowBytes = (long) (perRowBytes * estRows);
            double rate = seconds > 0 ? bytes / seconds : 0;
            double loadSeconds = rate <= 0 ? 0 : docBytes / (rate * Math.max(1, Math.min(config.workers(), Runtime.getRuntime().availableProcessors())));
            // Stored size: chat_message is TOAST-compressed like chat, so its rows take about the share of chat's stored size
            // that their bytes are of the documents' bytes, plus each row's other columns and tuple overhead (three quarters of
            // the raw row bytes gave 159 MB for a table of 230 MB); indexes about 100 bytes a row for each of the eight.
            // a message row compresses worse than the whole document it came from (most rows are below TOAST's 2 kB
            // threshold and are stored as they are): measured on seeded chats, 9.7 MB for 6.4 to 7.2 MB without this factor
            double compression = ROWS_OVER_DOCUMENT_COMPRESSION;
            long table = (ratios ? (long) ((double) rowBytes[0] / bytes * plan.estimatedBytes() * compression) : estRowBytes)
                + estRows * ROW_OVERHEAD_BYTES;
            long indexes = estRows * 100L * 8;
            long largest;
            try (ResultSet rs = st.executeQuery("SELECT coalesce(max(pg_column_size(chat)), 0) FROM chat TABLESAMPLE SYSTEM (5) REPEATABLE (7)")) {
                rs.next();
                largest = rs.getLong(1);
            }
            Disk disk = disk(c, largest, config.workers(), config.inlineDocumentBytes());
            return new Estimate(plan, planChats, plan.estimatedBytes(), chats, bytes, seconds, estRows, docBytes, estRowBytes,
                loadSeconds, table, indexes, table + indexes, disk);
        } finally {
            c.rollback();
            c.setAutoCommit(auto);
        }
    }
}
