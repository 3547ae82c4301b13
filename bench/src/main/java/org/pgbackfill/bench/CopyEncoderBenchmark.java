package org.pgbackfill.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.pgbackfill.copy.BinaryCopyEncoder;
import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.seed.ChatGenerator;
import org.pgbackfill.seed.GeneratedChat;
import org.pgbackfill.seed.GeneratorOptions;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Throughput of {@link BinaryCopyEncoder} on realistic rows: the rows the extractor makes of
 * {@code corpusMb} MB of generated documents with the generator's default shape (log-normal sizes,
 * mean 64 KiB, 10% base64, 1% edge cases), extracted once in the setup.
 *
 * <p>Each operation appends one row (round-robin over the corpus) the way {@code CopyWriter}
 * does, and clears the encoder once it holds 1 MiB (where the writer hands the buffer to the COPY
 * stream). The primary score is <b>rows/s</b>; the auxiliary counter {@code megabytes} is the
 * encoded output in 10^6 bytes, so JMH reports it as <b>MB/s of COPY data</b>, per thread.
 * <pre>
 * java -jar bench/target/pgbackfill-bench.jar CopyEncoderBenchmark -wi 2 -i 3 -f 1 -w 2s -r 3s
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Benchmark)
public class CopyEncoderBenchmark {

    /** MB of generated documents the rows are extracted from. */
    @Param({"64"})
    public int corpusMb;

    MessageRow[] rows;

    @Setup(Level.Trial)
    public void extract() throws IOException {
        rows = generateRows(corpusMb);
    }

    /** Rows of {@code corpusMb} MB of default-shaped generated documents (also used by {@link RingBenchmark}). */
    static MessageRow[] generateRows(int corpusMb) throws IOException {
        GeneratorOptions o = GeneratorOptions.builder().seed(20240501).targetBytes(corpusMb * 1_000_000L).build();
        ChatGenerator g = new ChatGenerator(o);
        MessageExtractor extractor = new MessageExtractor(ExtractorBenchmark.NOW);
        List<MessageRow> out = new ArrayList<>();
        ExtractionSink sink = new ExtractionSink() {
            @Override public void row(MessageRow row) { out.add(row); }
            @Override public void rejectedMessage(String chatId, String key, RejectReason reason, String detail, byte[] raw) { }
            @Override public void rejectedChat(String chatId, RejectReason reason, String detail, byte[] prefix) { }
        };
        while (g.hasNext()) {
            GeneratedChat c = g.next();
            if (!c.documentIsNull()) extractor.extract(c.id(), c.userId(), DocumentSource.of(c.documentBytes()), sink);
        }
        BinaryCopyEncoder probe = new BinaryCopyEncoder();
        long encoded = 0;
        for (MessageRow r : out) {
            probe.append(r);
            encoded += probe.length();
            probe.clear();
        }
        System.out.printf(Locale.ROOT, "%n# rows: %d from %d documents (%.1f MB); encoded %.1f MB, mean %.0f bytes a row%n",
            out.size(), g.generated(), g.generatedBytes() / 1e6, encoded / 1e6, (double) encoded / out.size());
        return out.toArray(new MessageRow[0]);
    }

    /** Per thread: its own encoder (as each writer has) and place in the corpus. */
    @State(Scope.Thread)
    public static class Writer {
        final BinaryCopyEncoder encoder = new BinaryCopyEncoder();
        int next;

        @Setup(Level.Trial)
        public void setUp(CopyEncoderBenchmark b) {
            next = (int) (Thread.currentThread().getId() * 7919 % b.rows.length);
        }
    }

    /** Encoded output, reported by JMH as a rate: megabytes/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Volume {
        public double megabytes;

        @Setup(Level.Iteration)
        public void reset() {
            megabytes = 0;
        }
    }

    @Benchmark
    public void encode(Writer w, Volume v, Blackhole bh) {
        int i = w.next;
        w.next = i + 1 == rows.length ? 0 : i + 1;
        BinaryCopyEncoder enc = w.encoder;
        int before = enc.length();
        enc.append(rows[i]);
        v.megabytes += (enc.length() - before) / 1e6;
        if (enc.length() >= org.pgbackfill.copy.CopyWriter.FLUSH_BYTES) {
            bh.consume(enc.buffer());
            enc.clear();
        }
    }
}
