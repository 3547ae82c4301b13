package org.pgbackfill.run;

import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.plan.RangePlanner;
import org.pgbackfill.schema.SchemaCheck;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;

/**
 * {@code pgbackfill plan}: what a run would do, without doing it. It runs the checks, plans the
 * ranges from a sample, reads a sample of documents for a few seconds (a calibration: how fast
 * this server streams and this machine extracts, and how many rows and bytes documents yield),
 * and estimates the duration and the disk the run will need. Everything is read in a READ ONLY
 * transaction: nothing is created or written.
 */
public final class DryRun {
    /** What a run would look like. */
    public record Estimate(RangePlanner.Plan plan, long chats, long storedBytes, long calibrationChats, long calibrationBytes,
                           double calibrationSeconds, long estimatedRows, long estimatedDocumentBytes, long estimatedRowBytes,
                           double estimatedLoadSeconds, long tableBytes, long indexBytes, long walBytes) {

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
            b.append(String.format("disk: chat_message about %.1f MB, indexes about %.1f MB, "
                + "WAL about %.1f MB%n", tableBytes / 1e6, indexBytes / 1e6, walBytes / 1e6));
            b.append("nothing was written: this was a dry run\n");
            return b.toString();
        }
    }

    private DryRun() { }

    /** Runs the checks and the estimate on {@code c} (which it leaves as it found it). */
    public static Estimate estimate(Connection c, BackfillConfig config, double calibrationSeconds) throws SQLException, BackfillException {
        ControlTables control = new ControlTables(config.schema());
        ControlTables.OpenRun open = control.openRun(c);
        SchemaCheck.Facts facts = SchemaCheck.check(c, control, open != null && open.createdTarget());
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            RangePlanner.Plan plan = new RangePlanner(config.workers() * config.rangesPerWorker(), Backfill.MAX_RANGE_BYTES).plan(c);
            long[] rows = {0}, rowBytes = {0};
            ExtractionSink counting = new ExtractionSink() {
                @Override public void row(MessageRow row) { rows[0]++; rowBytes[0] += row.messageJson.length + row.id.length() + 64; }
                @Override public void rejectedMessage(String chatId, String key, RejectReason reason, String detail, byte[] raw) { }
                @Override public void rejectedChat(String chatId, RejectReason reason, String detail, byte[] prefix) { }
            };
            long now = config.nowEpoch() != null ? config.nowEpoch() : Instant.now().getEpochSecond();
            MessageExtractor extractor = new MessageExtractor(now, config.inlineDocumentBytes(), facts.asciiJson());
            long chats = 0, bytes = 0;
            long start = System.nanoTime(), limit = (long) (calibrationSeconds * 1e9);
            st.setFetchSize(50);
            try (ResultSet rs = st.executeQuery("SELECT id, user_id, convert_to(chat::text, 'UTF8') FROM chat TABLESAMPLE SYSTEM (5) "
                    + "REPEATABLE (7) WHERE user_id NOT LIKE 'shared-%' AND octet_length(chat::text) <= " + config.inlineDocumentBytes())) {
                while (rs.next() && System.nanoTime() - start < limit) {
                    byte[] doc = rs.getBytes(3);
                    chats++;
                    if (doc == null) continue;
                    bytes += doc.length;
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
            long docBytes = (long) (perChatBytes * planChats);
            long estRows = (long) (perChatRows * planChats);
            long estRowBytes = (long) (perRowBytes * estRows);
            double rate = seconds > 0 ? bytes / seconds : 0;
            double loadSeconds = rate <= 0 ? 0 : docBytes / (rate * Math.max(1, Math.min(config.workers(), Runtime.getRuntime().availableProcessors())));
            // Stored size: real chats hold much incompressible base64, so count on three quarters of the raw size
            // (a generous estimate is the useful one for disk); indexes about 100 bytes a row for each of the eight.
            long table = estRowBytes * 3 / 4;
            long indexes = estRows * 100L * 8;
            return new Estimate(plan, planChats, plan.estimatedBytes(), chats, bytes, seconds, estRows, docBytes, estRowBytes,
                loadSeconds, table, indexes, table + indexes);
        } finally {
            c.rollback();
            c.setAutoCommit(auto);
        }
    }
}
