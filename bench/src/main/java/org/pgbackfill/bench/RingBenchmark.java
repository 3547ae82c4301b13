package org.pgbackfill.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.pgbackfill.extract.MessageRow;

import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Throughput of the load's own ring ({@link org.pgbackfill.ring.RowRing}, the class the load
 * uses, with its in-flight byte budget and the default transaction caps), with writers that do
 * what the COPY writer does minus the database ({@link RingHarness}).
 *
 * <p>{@code producers} threads (the JMH thread and {@code producers - 1} others) publish
 * {@value #EVENTS} ROW events per invocation, one claim each as the readers do, from rows
 * extracted once in the setup ({@link CopyEncoderBenchmark#generateRows}); the invocation ends when
 * the {@code writers} handlers have handled them all. A handler does what {@code CopyWriter} does
 * minus the database: with {@code encode=true} it encodes each row with {@code BinaryCopyEncoder}
 * (clearing it every MiB), with {@code encode=false} it only keeps the row reference, so the ring
 * alone is measured (encoding alone is {@link CopyEncoderBenchmark}). The score is <b>events/s</b>.
 * <pre>
 * java -jar bench/target/pgbackfill-bench.jar RingBenchmark -wi 2 -i 3 -f 1 -w 2s -r 3s
 * java -jar bench/target/pgbackfill-bench.jar RingBenchmark -p producers=2 -p writers=1,2 -p encode=false
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Benchmark)
public class RingBenchmark {
    /** Events per invocation (16 times the ring), so that starting and draining are a small share. */
    static final int EVENTS = 1 << 17;

    /** Publishing threads (the load's reader threads, {@code --workers}). */
    @Param({"1", "2"})
    public int producers;

    /** Handlers ({@code --writers}; the default is 1 for 1 or 2 workers). */
    @Param({"1"})
    public int writers;

    /** Whether handlers encode rows (true) or only take the reference (false). */
    @Param({"true", "false"})
    public boolean encode;

    /** MB of generated documents the rows are extracted from (the same rows as {@link CopyEncoderBenchmark}'s). */
    @Param({"64"})
    public int corpusMb;

    MessageRow[] rows;
    RingHarness ring;
    ExecutorService others;
    int[] cursors;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        rows = CopyEncoderBenchmark.generateRows(corpusMb);
        ring = new RingHarness(writers, encode);
        others = producers > 1 ? Executors.newFixedThreadPool(producers - 1) : null;
        cursors = new int[producers];
        for (int p = 0; p < producers; p++) cursors[p] = (int) ((long) p * rows.length / producers);
        System.out.printf(Locale.ROOT, "# ring: %d slots, %d producer(s), %d writer(s), encode=%s%n",
            org.pgbackfill.ring.RowRing.SIZE, producers, writers, encode);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        long[] t = ring.totals();
        System.out.printf(Locale.ROOT, "%n# handled %d rows, encoded %.1f MB%n", t[0], t[1] / 1e6);
        if (others != null) others.shutdownNow();
        ring.close();
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public void publish() throws Exception {
        int share = EVENTS / producers;
        Future<?>[] running = new Future<?>[producers - 1];
        for (int p = 1; p < producers; p++) {
            int q = p;
            running[p - 1] = others.submit(() -> {
                publishShare(q, share);
                return null;
            });
        }
        publishShare(0, EVENTS - share * (producers - 1));
        for (Future<?> f : running) f.get();
        ring.awaitConsumed();
    }

    private void publishShare(int producer, int n) throws InterruptedException {
        int from = cursors[producer];
        ring.publish(rows, from, n);
        cursors[producer] = (int) ((from + (long) n) % rows.length);
    }
}
