package org.pgbackfill.load;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.TimeoutBlockingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import org.pgbackfill.copy.BinaryCopyEncoder;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.plan.KeyRange;
import org.pgbackfill.run.BackfillConfig;
import org.pgbackfill.run.ControlTables;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * For {@code org.pgbackfill.bench.RingBenchmark}: {@link LoadPhase}'s ring of {@link RowEvent}s
 * without the database. It lives in bench/ but in core's package because {@link RowEvent} is
 * package-private.
 *
 * <p>Mirrored from {@link LoadPhase#run}: ring size {@code LoadPhase.RING_SIZE}, {@link ProducerType#MULTI},
 * {@code TimeoutBlockingWaitStrategy(200 ms)}, one handler per writer given to
 * {@code handleEventsWith} (each takes {@code sequence % writers == index}), and the in-flight
 * byte budget ({@code writers × maxTransactionBytes + 64 MB}, permits of 1 KiB) with the default
 * transaction caps. {@link #publish} is {@code LoadPhase.Publisher.publish}: acquire permits,
 * {@code tryNext(1)} (park 50 µs while full), fill the slot, {@code publish(seq)}. Each
 * {@link Writer} is {@code CopyWriter.onEvent} for ROW events minus the database.
 */
public final class RingHarness implements AutoCloseable {
    public static final int RING_SIZE = LoadPhase.RING_SIZE;
    /** The writer hands encoded rows to the COPY stream in pieces of about this size. */
    public static final int FLUSH_BYTES = CopyWriter.FLUSH_BYTES;

    private final Disruptor<RowEvent> disruptor;
    private final RingBuffer<RowEvent> ring;
    private final Writer[] writers;
    private final Semaphore inFlight;
    private final int maxPermits;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final ControlTables.Claim claim = new ControlTables.Claim(new KeyRange(1, null, null, 0), 1);

    /**
     * @param writers how many handlers ({@code BackfillConfig.writers()}: 1 for 1–2 workers by default)
     * @param encode  whether a handler encodes each row into its {@link BinaryCopyEncoder}, or only keeps the reference
     */
    public RingHarness(int writers, boolean encode) {
        long maxBytes = (long) BackfillConfig.DEFAULT_MAX_TRANSACTION_MB << 20;
        long budgetBytes = writers * maxBytes + (64L << 20);
        maxPermits = (int) Math.min(Integer.MAX_VALUE, budgetBytes / 1024);
        inFlight = new Semaphore(maxPermits);
        disruptor = new Disruptor<>(RowEvent::new, RING_SIZE, runnable -> {
            Thread t = new Thread(runnable, "pgbackfill-writer");
            t.setDaemon(true);
            return t;
        }, ProducerType.MULTI, new TimeoutBlockingWaitStrategy(200, TimeUnit.MILLISECONDS));
        this.writers = new Writer[writers];
        for (int i = 0; i < writers; i++) {
            this.writers[i] = new Writer(i, writers, encode, inFlight, maxBytes, BackfillConfig.DEFAULT_MAX_TRANSACTION_ROWS);
        }
        disruptor.handleEventsWith(this.writers);
        disruptor.setDefaultExceptionHandler(new ExceptionHandler<>() {
            @Override public void handleEventException(Throwable ex, long sequence, RowEvent event) { failure.compareAndSet(null, ex); }
            @Override public void handleOnStartException(Throwable ex) { failure.compareAndSet(null, ex); }
            @Override public void handleOnShutdownException(Throwable ex) { }
        });
        ring = disruptor.start();
    }

    /** Publishes {@code n} ROW events for {@code rows[from..]} (wrapping), one claim each, as a reader does. */
    public void publish(MessageRow[] rows, int from, int n) throws InterruptedException {
        int i = from;
        for (int k = 0; k < n; k++) {
            MessageRow row = rows[i];
            i = i + 1 == rows.length ? 0 : i + 1;
            int weight = row.weight();
            int permits = Math.min(CopyWriter.permitsFor(weight), maxPermits);
            while (!inFlight.tryAcquire(permits, 200, TimeUnit.MILLISECONDS)) checkFailure();
            long seq = next();
            RowEvent e = ring.get(seq);
            e.kind = RowEvent.Kind.ROW;
            e.claim = claim;
            e.row = row;
            e.rejection = null;
            e.weight = Math.min(weight, (maxPermits - 1) * 1024);
            ring.publish(seq);
        }
    }

    private long next() throws InterruptedException {
        while (true) {
            try {
                return ring.tryNext(1);
            } catch (InsufficientCapacityException full) {
                checkFailure();
                LockSupport.parkNanos(50_000);
            }
        }
    }

    /** Waits until every writer has handled everything published so far. */
    public void awaitConsumed() throws InterruptedException {
        long published = ring.getCursor();
        while (ring.getMinimumGatingSequence() < published) {
            checkFailure();
            LockSupport.parkNanos(20_000);
        }
    }

    private void checkFailure() throws InterruptedException {
        Throwable f = failure.get();
        if (f != null) throw new IllegalStateException("a writer failed", f);
        if (Thread.interrupted()) throw new InterruptedException();
    }

    /** Rows handled and bytes encoded by all writers (read after {@link #awaitConsumed()}). */
    public long[] totals() {
        long rows = 0, encoded = 0;
        for (Writer w : writers) {
            rows += w.handled;
            encoded += w.encoded + w.encoder.length();
        }
        return new long[] {rows, encoded};
    }

    @Override
    public void close() {
        disruptor.halt();
    }

    /** {@code CopyWriter.onEvent} for rows, minus the database: a commit just resets the batch. */
    static final class Writer implements EventHandler<RowEvent> {
        private final int index;
        private final int writers;
        private final boolean encode;
        private final Semaphore inFlight;
        private final long maxBytes;
        private final int maxRows;
        final BinaryCopyEncoder encoder = new BinaryCopyEncoder();
        private final List<MessageRow> rows = new ArrayList<>();
        private final List<ControlTables.Claim> rowRanges = new ArrayList<>();
        private final Map<ControlTables.Claim, long[]> perRange = new HashMap<>();
        private long bytes;
        private int permits;
        private long firstPendingNanos;
        long handled;
        long encoded;

        Writer(int index, int writers, boolean encode, Semaphore inFlight, long maxBytes, int maxRows) {
            this.index = index;
            this.writers = writers;
            this.encode = encode;
            this.inFlight = inFlight;
            this.maxBytes = maxBytes;
            this.maxRows = maxRows;
        }

        @Override
        public void onEvent(RowEvent e, long sequence, boolean endOfBatch) {
            if (sequence % writers != index) return;
            if (firstPendingNanos == 0) firstPendingNanos = System.nanoTime();
            if (e.kind != RowEvent.Kind.ROW) throw new IllegalStateException("only ROW events are published");
            if (encode) {
                encoder.append(e.row);
                if (encoder.length() >= FLUSH_BYTES) {   // the writer's writeToCopy
                    encoded += encoder.length();
                    encoder.clear();
                }
            }
            rows.add(e.row);
            rowRanges.add(e.claim);
            bytes += e.weight;
            long[] c = perRange.computeIfAbsent(e.claim, k -> new long[2]);
            c[0]++;
            c[1]++;
            permits += CopyWriter.permitsFor(e.weight);
            handled++;
            e.clear();
            if (bytes >= maxBytes || rows.size() >= maxRows) commit();
        }

        private void commit() {
            inFlight.release(permits);
            permits = 0;
            rows.clear();
            rowRanges.clear();
            perRange.clear();
            bytes = 0;
            firstPendingNanos = 0;
            encoded += encoder.length();
            encoder.clear();
        }
    }
}
