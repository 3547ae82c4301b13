package org.pgbackfill.load;

import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.TimeoutBlockingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import org.pgbackfill.db.Database;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.plan.KeyRange;
import org.pgbackfill.run.BackfillConfig;
import org.pgbackfill.run.ControlTables;
import org.pgbackfill.run.RunMetrics;
import org.pgbackfill.schema.SchemaCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

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
    static final int RING_SIZE = 1 << 13;
    /** How long the writers may take to finish a commit under way once the load ends. */
    private static final long WRITER_STOP_MILLIS = 30_000;

    /** What the load did, for the report. */
    public record Result(long chats, long documentBytes, long rowsWritten) { }

    /** Told about progress: bytes of documents read so far, the same in the planner's units (stored bytes), rows written to chat_message. */
    public interface Progress { void update(long documentBytes, long plannedUnitsRead, long rowsWritten); }

    private final Database db;
    private final BackfillConfig config;
    private final ControlTables control;
    private final long runId;
    private final long nowEpoch;
    private final SchemaCheck.Facts facts;

    private final RunMetrics metrics;
    private final org.pgbackfill.run.Throttle throttle;

    public LoadPhase(Database db, BackfillConfig config, ControlTables control, long runId, long nowEpoch, SchemaCheck.Facts facts,
                     RunMetrics metrics, org.pgbackfill.run.Throttle throttle) {
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
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong chats = new AtomicLong(), docBytes = new AtomicLong();
        ChatRangeReader.Counters read = new ChatRangeReader.Counters();
        RangeTracker tracker = new RangeTracker((claim, c, rows, bytes) -> coordinator.loaded(claim, c, rows, bytes));
        metrics.loadCounters(new RunMetrics.LoadCounts() {
            @Override public double chats() { return read.chats().get(); }
            @Override public double documentBytes() { return read.documentBytes().get(); }
            @Override public double rowsWritten() { return tracker.rowsCommitted(); }
        });
        int writers = config.writers();
        long budgetBytes = writers * config.maxTransactionBytes() + (64L << 20);
        int budgetPermits = (int) Math.min(Integer.MAX_VALUE, budgetBytes / 1024);
        Semaphore inFlight = new Semaphore(budgetPermits);

        List<Thread> writerThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
        Disruptor<RowEvent> disruptor = new Disruptor<>(RowEvent::new, RING_SIZE, runnable -> {
            Thread t = new Thread(runnable, "pgbackfill-writer");
            t.setDaemon(true);
            writerThreads.add(t);
            return t;
        }, ProducerType.MULTI, new TimeoutBlockingWaitStrategy(200, TimeUnit.MILLISECONDS));
        CopyWriter[] handlers = new CopyWriter[writers];
        for (int i = 0; i < writers; i++) {
            handlers[i] = new CopyWriter(i, writers, db, control.schema(), runId, tracker, inFlight,
                config.maxTransactionBytes(), config.maxTransactionRows(), facts.toastCompression(), metrics);
        }
        disruptor.handleEventsWith(handlers);
        disruptor.setDefaultExceptionHandler(new ExceptionHandler<>() {
            @Override public void handleEventException(Throwable ex, long sequence, RowEvent event) { failure.compareAndSet(null, ex); }
            @Override public void handleOnStartException(Throwable ex) { failure.compareAndSet(null, ex); }
            @Override public void handleOnShutdownException(Throwable ex) { log.debug("writer shutdown", ex); }
        });
        RingBuffer<RowEvent> ring = disruptor.start();
        metrics.ringOccupancy(ring, r -> r.getBufferSize() - r.remainingCapacity());
        Publisher publisher = new Publisher(ring, inFlight, budgetPermits, failure, coordinator);

        List<Thread> readers = new ArrayList<>();
        for (int w = 0; w < config.workers(); w++) {
            Thread t = new Thread(() -> {
                Connection conn = null;
                try {
                    MessageExtractor extractor = new MessageExtractor(nowEpoch, config.inlineDocumentBytes(), facts.asciiJson());
                    ControlTables.Claim claim;
                    while (failure.get() == null && !coordinator.stopping() && admit() && (claim = coordinator.claim()) != null) {
                        RangeSink sink = new RangeSink(claim, publisher);
                        ChatRangeReader.Totals totals;
                        ChatRangeReader.Counters rangeRead = new ChatRangeReader.Counters();
                        coordinator.reading(claim, () -> rangeRead.plannedBytes().get(), () -> rangeRead.documentBytes().get());
                        try {
                            if (conn == null) conn = db.connection();
                            if (claim.attempt() > 1) removeEarlierAttempts(conn, claim);
                            totals = new ChatRangeReader(conn, config.inlineDocumentBytes(), read, rangeRead)
                                .read(claim.range(), extractor, sink, throttle);
                            coordinator.doneReading(claim);
                        } catch (Exception e) {
                            coordinator.doneReading(claim);
                            if (conn != null) db.evict(conn);
                            conn = null;
                            if (coordinator.stopping() || failure.get() != null) break;
                            int attempts = coordinator.failed(claim, e);
                            metrics.retried("range");
                            if (attempts >= MAX_ATTEMPTS) throw new LoadException(claim.range(), attempts, e);
                            log.warn("{} failed (attempt {} of {}), will retry: {}", claim.range(), attempts, MAX_ATTEMPTS, e.toString());
                            Thread.sleep(Math.min(10_000L, 500L << attempts));
                            continue;
                        }
                        chats.addAndGet(totals.chats());
                        docBytes.addAndGet(totals.documentBytes());
                        metrics.workerRead(Thread.currentThread().getName(), totals.documentBytes());
                        tracker.published(claim, sink.events, totals.chats(), totals.documentBytes());
                        progress.update(read.documentBytes().get(), read.plannedBytes().get(), tracker.rowsCommitted());
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    if (conn != null) {
                        try { conn.close(); } catch (SQLException ignored) { }
                    }
                }
            }, "pgbackfill-reader-" + w);
            t.setDaemon(true);
            readers.add(t);
            t.start();
        }
        while (readers.stream().anyMatch(Thread::isAlive)) {
            for (Thread t : readers) t.join(1000);
            progress.update(read.documentBytes().get(), read.plannedBytes().get(), tracker.rowsCommitted());
        }
        if (failure.get() == null && !coordinator.stopping()) {
            CountDownLatch flushed = new CountDownLatch(writers);
            publisher.flush(writers, flushed);
            while (!flushed.await(200, TimeUnit.MILLISECONDS)) {
                if (failure.get() != null || coordinator.stopping()) break;
            }
        }
        // The writers end on their own threads (a commit under way finishes, then each closes its connection in
        // onShutdown); only then may the caller give ranges back, or a writer's transaction could still hold its fence.
        disruptor.halt();
        for (Thread t : writerThreads) t.join(WRITER_STOP_MILLIS);
        for (CopyWriter h : handlers) h.onShutdown();   // in case one did not end in time
        Throwable f = failure.get();
        if (f != null) {
            if (f instanceof Exception e) throw e;
            throw new RuntimeException(f);
        }
        progress.update(read.documentBytes().get(), read.plannedBytes().get(), tracker.rowsCommitted());
        return new Result(chats.get(), docBytes.get(), tracker.rowsCommitted());
    }

    /** Waits while the run is held (paused, the server under pressure) before taking another range; false if stopping. */
    private boolean admit() throws InterruptedException {
        throttle.admit(0);
        return true;
    }

    /** A range's reading failed: the message names the range. */
    public static final class LoadException extends Exception {
        LoadException(KeyRange range, int attempts, Exception cause) {
            super("loading " + range + " failed " + attempts + " times; last error: "
                + (cause.getMessage() == null ? cause.toString() : cause.getMessage()), cause);
        }
    }

    /** Publishes into the ring within the in-flight byte budget; gives up if a writer has failed. */
    private static final class Publisher {
        private final RingBuffer<RowEvent> ring;
        private final Semaphore inFlight;
        private final int maxPermits;
        private final AtomicReference<Throwable> failure;
        private final Coordinator coordinator;

        Publisher(RingBuffer<RowEvent> ring, Semaphore inFlight, int maxPermits, AtomicReference<Throwable> failure, Coordinator coordinator) {
            this.ring = ring;
            this.inFlight = inFlight;
            this.maxPermits = maxPermits;
            this.failure = failure;
            this.coordinator = coordinator;
        }

        void publish(RowEvent.Kind kind, ControlTables.Claim claim, MessageRow row, Rejection rejection, int weight) throws InterruptedException {
            if (coordinator.stopping()) throw new InterruptedException("stopping");
            int permits = Math.min(CopyWriter.permitsFor(weight), maxPermits);
            while (!inFlight.tryAcquire(permits, 200, TimeUnit.MILLISECONDS)) checkFailure();
            long seq = claim(1);
            RowEvent e = ring.get(seq);
            e.kind = kind;
            e.claim = claim;
            e.row = row;
            e.rejection = rejection;
            // the writer releases permitsFor(weight) capped the same way
            e.weight = Math.min(weight, (maxPermits - 1) * 1024);
            ring.publish(seq);
        }

        void flush(int writers, CountDownLatch latch) throws InterruptedException {
            long hi = claim(writers);
            for (long s = hi - writers + 1; s <= hi; s++) {
                RowEvent e = ring.get(s);
                e.kind = RowEvent.Kind.FLUSH;
                e.flushed = latch;
                e.weight = 0;
            }
            ring.publish(hi - writers + 1, hi);
        }

        private long claim(int n) throws InterruptedException {
            while (true) {
                try {
                    return ring.tryNext(n);
                } catch (InsufficientCapacityException full) {
                    checkFailure();
                    LockSupport.parkNanos(50_000);
                }
            }
        }

        private void checkFailure() throws InterruptedException {
            if (failure.get() != null) throw new InterruptedException("a writer failed");
            if (coordinator.stopping()) throw new InterruptedException("stopping");
            if (Thread.interrupted()) throw new InterruptedException();
        }
    }

    /** Turns extractor output into ring events for one range, counting them. */
    private static final class RangeSink implements ExtractionSink {
        private final ControlTables.Claim claim;
        private final Publisher publisher;
        long events;

        RangeSink(ControlTables.Claim claim, Publisher publisher) {
            this.claim = claim;
            this.publisher = publisher;
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
                publisher.publish(kind, claim, row, rejection, weight);
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
