package org.pgbackfill.load;

import org.pgbackfill.concurrent.Threads;
import org.pgbackfill.control.Backoff;
import org.pgbackfill.copy.CopyWriter;
import org.pgbackfill.copy.RangeTracker;
import org.pgbackfill.copy.RejectionLog;
import org.pgbackfill.state.Rejection;
import org.pgbackfill.ring.RowEvent;
import org.pgbackfill.ring.RowRing;
import org.pgbackfill.source.ChatRangeReader;

import org.pgbackfill.db.Database;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.source.KeyRange;
import org.pgbackfill.source.Scope;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.metrics.RunMetrics;
import org.pgbackfill.schema.SchemaCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load phase: reader threads (one connection each) take ranges from a queue, stream and
 * extract their documents, and publish rows into an LMAX Disruptor ring; {@link CopyWriter}s
 * drain the ring into {@code chat_message}, which has no index yet. A range claimed again (its
 * earlier attempt failed, or its process died) first loses whatever rows earlier attempts left
 * in the table. Memory is bounded twice: by the ring's size and
 * by a budget of bytes in flight, which a reader must acquire before it publishes (a few huge
 * messages cannot fill the heap even though the ring counts slots, not bytes).
 */
public final class LoadPhase {
    private static final Logger log = LoggerFactory.getLogger(LoadPhase.class);
    /** How long the writers may take to finish a commit under way once the load ends. */
    private static final long WRITER_STOP_MILLIS = 30_000;

    /** What the load did, for the report. */
    public record Result(long chats, long documentBytes, long rowsWritten) { }

    /** Told about progress: bytes of documents read so far, the same in the planner's units (stored bytes), rows written to chat_message. */
    public interface Progress { void update(long documentBytes, long plannedUnitsRead, long rowsWritten); }

    /** How the load is sized: readers, writers, each COPY transaction's bounds, and how large a document is read in memory. */
    public record Settings(int workers, int writers, long maxTransactionBytes, int maxTransactionRows, int inlineDocumentBytes) { }

    private final Database db;
    private final Settings config;
    private final ControlTables control;
    private final long runId;
    private final long nowEpoch;
    private final SchemaCheck.Facts facts;

    private final RunMetrics metrics;
    private final Scope scope;
    private final org.pgbackfill.control.Throttle throttle;

    public LoadPhase(Database db, Settings config, ControlTables control, long runId, long nowEpoch, SchemaCheck.Facts facts,
                     RunMetrics metrics, org.pgbackfill.control.Throttle throttle, Scope scope) {
        this.scope = scope;
        this.metrics = metrics;
        this.throttle = throttle;
        this.db = db;
        this.config = config;
        this.control = control;
        this.runId = runId;
        this.nowEpoch = nowEpoch;
        this.facts = facts;
    }

    /** Claims made by this process to load ranges, and what stops it. */
    public interface Coordinator {
        /** The next range to load, or null when none is free now. */
        ControlTables.Claim claim() throws SQLException;

        /** The range is loaded: record it, if the claim still holds. */
        void loaded(ControlTables.Claim claim, long chats, long rows, long documentBytes) throws SQLException;

        /** Loading the range failed: give it back; returns how many attempts it has had. */
        int failed(ControlTables.Claim claim, Exception cause) throws SQLException;

        /** Whether the process was asked to stop. */
        boolean stopping();

        /**
         * A reader starts reading the claimed range; the suppliers say how far it has read (stored bytes as the planner
         * counts them, document bytes), until {@link #doneReading}.
         */
        default void reading(ControlTables.Claim claim, java.util.function.LongSupplier plannedUnitsRead,
                             java.util.function.LongSupplier documentBytesRead) { }

        /** The reader is done with the range (read whole, or failed). */
        default void doneReading(ControlTables.Claim claim) { }
    }

    /** Retries of one range before the run gives up on it. */
    static final int MAX_ATTEMPTS = 5;

    /**
     * Loads ranges until none is left to claim (other processes may still hold some). A range
     * whose reading fails is given back and claimed again later (by this or another process),
     * after a backoff; after {@link #MAX_ATTEMPTS} attempts the run fails naming it. A writer's
     * failure ends this round: its uncommitted rows belong to ranges that are then reloaded.
     */
    public Result run(Coordinator coordinator, Progress progress) throws Exception {
        AtomicLong chats = new AtomicLong(), docBytes = new AtomicLong();
        ChatRangeReader.Counters read = new ChatRangeReader.Counters();
        RangeTracker tracker = new RangeTracker((claim, c, rows, bytes) -> coordinator.loaded(claim, c, rows, bytes));
        metrics.loadCounters(new RunMetrics.LoadCounts() {
            @Override public double chats() { return read.chats().get(); }
            @Override public double documentBytes() { return read.documentBytes().get(); }
            @Override public double rowsWritten() { return tracker.rowsCommitted(); }
        });
        int writers = config.writers();
        RowRing ring = new RowRing(writers, config.maxTransactionBytes(), coordinator::stopping);
        CopyWriter[] handlers = new CopyWriter[writers];
        RejectionLog rejectionLog = new RejectionLog(control.schema());
        for (int i = 0; i < writers; i++) {
            handlers[i] = new CopyWriter(i, writers, db, control.schema(), runId, tracker, ring.budget(),
                config.maxTransactionBytes(), config.maxTransactionRows(), facts.toastCompression(), metrics, rejectionLog);
        }
        ring.start(handlers);
        metrics.ringOccupancy(ring, RowRing::occupancy);

        // each reader claims ranges until none is free; its thread's name is the per-worker meter's label
        Threads.runAll("pgbackfill-reader-", config.workers(), () -> {
            Connection conn = null;
            try {
                MessageExtractor extractor = new MessageExtractor(nowEpoch, config.inlineDocumentBytes(), facts.asciiJson());
                ControlTables.Claim claim;
                while (ring.failure() == null && !coordinator.stopping() && waitWhileHeld() && (claim = coordinator.claim()) != null) {
                    RangeSink sink = new RangeSink(claim, ring);
                    ChatRangeReader.Totals totals;
                    ChatRangeReader.Counters rangeRead = new ChatRangeReader.Counters();
                    coordinator.reading(claim, () -> rangeRead.plannedBytes().get(), () -> rangeRead.documentBytes().get());
                    try {
                        if (conn == null) conn = db.connection();
                        if (claim.attempt() > 1) removeEarlierAttempts(conn, claim);
                        totals = new ChatRangeReader(conn, config.inlineDocumentBytes(), scope, read, rangeRead)
                            .read(claim.range(), extractor, sink, throttle);
                        coordinator.doneReading(claim);
                    } catch (Exception e) {
                        coordinator.doneReading(claim);
                        if (conn != null) db.evict(conn);
                        conn = null;
                        if (coordinator.stopping() || ring.failure() != null) break;
                        int attempts = coordinator.failed(claim, e);
                        metrics.retried("range");
                        if (attempts >= MAX_ATTEMPTS) throw new LoadException(claim.range(), attempts, e);
                        log.warn("{} failed (attempt {} of {}), will retry: {}", claim.range(), attempts, MAX_ATTEMPTS, e.toString());
                        Backoff.RANGE.sleep(attempts);
                        continue;
                    }
                    chats.addAndGet(totals.chats());
                    docBytes.addAndGet(totals.documentBytes());
                    metrics.workerRead(Thread.currentThread().getName(), totals.documentBytes());
                    tracker.published(claim, sink.events, totals.chats(), totals.documentBytes());
                    progress.update(read.documentBytes().get(), read.plannedBytes().get(), tracker.rowsCommitted());
                }
            } catch (Throwable e) {
                ring.fail(e);
            } finally {
                if (conn != null) {
                    try { conn.close(); } catch (SQLException ignored) { }
                }
            }
        }, () -> progress.update(read.documentBytes().get(), read.plannedBytes().get(), tracker.rowsCommitted()));
        if (ring.failure() == null && !coordinator.stopping()) ring.flush(writers);
        ring.halt(WRITER_STOP_MILLIS);
        for (CopyWriter h : handlers) h.onShutdown();   // in case one did not end in time
        Throwable f = ring.failure();
        if (f != null) {
            if (f instanceof Exception e) throw e;
            throw new RuntimeException(f);
        }
        progress.update(read.documentBytes().get(), read.plannedBytes().get(), tracker.rowsCommitted());
        return new Result(chats.get(), docBytes.get(), tracker.rowsCommitted());
    }

    /** Waits while the run is held (paused, the server under pressure) before taking another range; true, to sit in a condition. */
    private boolean waitWhileHeld() throws InterruptedException {
        throttle.admit(0);
        return true;
    }

    /** A range's reading failed: the message names the range. */
    public static final class LoadException extends Exception {
        public LoadException(KeyRange range, int attempts, Exception cause) {
            super("loading " + range + " failed " + attempts + " times; last error: "
                + (cause.getMessage() == null ? cause.toString() : cause.getMessage()), cause);
        }
    }

    /** Turns extractor output into ring events for one range, counting them. */
    private static final class RangeSink implements ExtractionSink {
        private final ControlTables.Claim claim;
        private final RowRing ring;
        long events;

        RangeSink(ControlTables.Claim claim, RowRing ring) {
            this.claim = claim;
            this.ring = ring;
        }

        @Override public void row(MessageRow row) {
            put(RowEvent.Kind.ROW, row, null, row.weight());
        }

        @Override public void rejectedMessage(String chatId, String key, RejectReason reason, String detail, byte[] raw) {
            put(RowEvent.Kind.REJECTED_MESSAGE, null, new Rejection(chatId, key, reason, detail, raw), raw.length + 256);
        }

        @Override public void rejectedChat(String chatId, RejectReason reason, String detail, byte[] prefix) {
            put(RowEvent.Kind.REJECTED_CHAT, null, new Rejection(chatId, null, reason, detail, prefix), prefix.length + 256);
        }

        private void put(RowEvent.Kind kind, MessageRow row, Rejection rejection, int weight) {
            try {
                ring.publish(kind, claim, row, rejection, weight);
                events++;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ExtractionSink.Abort("load stopped: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Deletes the rows of a range's chats (in chat.id's collation, as the reader selects them) that
     * earlier attempts committed. chat_message has no index during the load, so this scans it; it
     * happens only when a range is retried.
     */
    private void removeEarlierAttempts(Connection conn, ControlTables.Claim claim) throws SQLException {
        conn.setAutoCommit(true);
        try (Statement st = conn.createStatement()) {
            long n = st.executeUpdate("DELETE FROM chat_message WHERE " + claim.range().predicate("chat_id COLLATE " + facts.idCollation()));
            if (n > 0) log.info("{}: removed {} rows left by an earlier attempt before loading it again", claim.range(), n);
        }
    }
}
