package org.pgbackfill.bench;

import com.lmax.disruptor.EventHandler;
import org.pgbackfill.copy.BinaryCopyEncoder;
import org.pgbackfill.copy.CopyWriter;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.ring.RowEvent;
import org.pgbackfill.ring.RowRing;
import org.pgbackfill.source.KeyRange;
import org.pgbackfill.state.ControlTables;

import java.util.concurrent.Semaphore;

/**
 * For {@link RingBenchmark}: the load's own {@link RowRing}, with the default transaction caps,
 * and writers that do what {@link CopyWriter} does with a row minus the database: encode it
 * (optionally), count it, and give its permits back when its transaction would commit.
 */
final class RingHarness implements AutoCloseable {
    private final RowRing ring;
    private final Writer[] writers;
    private final ControlTables.Claim claim = new ControlTables.Claim(new KeyRange(1, null, null, 0), 1);

    /**
     * @param writers how many handlers ({@code BackfillConfig.writers()}: 1 for 1–2 workers by default)
     * @param encode  whether a handler encodes each row into its {@link BinaryCopyEncoder}, or only keeps the reference
     */
    RingHarness(int writers, boolean encode) {
        long maxBytes = (long) BackfillConfig.DEFAULT_MAX_TRANSACTION_MB << 20;
        ring = new RowRing(writers, maxBytes, () -> false);
        this.writers = new Writer[writers];
        for (int i = 0; i < writers; i++) {
            this.writers[i] = new Writer(i, writers, encode, ring.budget(), maxBytes, BackfillConfig.DEFAULT_MAX_TRANSACTION_ROWS);
        }
        ring.start(this.writers);
    }

    /** Publishes {@code n} ROW events for {@code rows[from..]} (wrapping), one claim each, as a reader does. */
    void publish(MessageRow[] rows, int from, int n) throws InterruptedException {
        int i = from;
        for (int k = 0; k < n; k++) {
            MessageRow row = rows[i];
            i = i + 1 == rows.length ? 0 : i + 1;
            ring.publish(RowEvent.Kind.ROW, claim, row, null, row.weight());
        }
    }

    /** Waits until every writer has handled everything published so far. */
    void awaitConsumed() throws InterruptedException {
        ring.awaitConsumed();
        if (ring.failure() != null) throw new IllegalStateException("a writer failed", ring.failure());
    }

    /** Rows handled and bytes encoded by all writers (read after {@link #awaitConsumed()}). */
    long[] totals() {
        long rows = 0, encoded = 0;
        for (Writer w : writers) {
            rows += w.handled;
            encoded += w.encoded + w.encoder.length();
        }
        return new long[] {rows, encoded};
    }

    @Override
    public void close() throws InterruptedException {
        ring.halt(1000);
    }

    /** A writer minus the database: a commit releases the permits and resets the batch. */
    private static final class Writer implements EventHandler<RowEvent> {
        private final int index;
        private final int writers;
        private final boolean encode;
        private final Semaphore budget;
        private final long maxBytes;
        private final int maxRows;
        final BinaryCopyEncoder encoder = new BinaryCopyEncoder();
        private long bytes;
        private int rows;
        private int permits;
        long handled;
        long encoded;

        Writer(int index, int writers, boolean encode, Semaphore budget, long maxBytes, int maxRows) {
            this.index = index;
            this.writers = writers;
            this.encode = encode;
            this.budget = budget;
            this.maxBytes = maxBytes;
            this.maxRows = maxRows;
        }

        @Override
        public void onEvent(RowEvent e, long sequence, boolean endOfBatch) {
            if (sequence % writers != index) return;
            if (e.kind != RowEvent.Kind.ROW) throw new IllegalStateException("only ROW events are published");
            if (encode) {
                encoder.append(e.row);
                if (encoder.length() >= CopyWriter.FLUSH_BYTES) {   // the writer hands the COPY stream a piece
                    encoded += encoder.length();
                    encoder.clear();
                }
            }
            rows++;
            bytes += e.weight;
            permits += RowRing.permitsFor(e.weight);
            handled++;
            e.clear();
            if (bytes >= maxBytes || rows >= maxRows) commit();
        }

        private void commit() {
            budget.release(permits);
            permits = 0;
            rows = 0;
            bytes = 0;
            encoded += encoder.length();
            encoder.clear();
        }
    }
}
