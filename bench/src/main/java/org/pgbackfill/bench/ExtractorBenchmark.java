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
 * Throughput of {@link MessageExtractor} on generated Open WebUI documents of about 5 KB, 100 KB
 * and 10 MB (one {@code size} each; sizes vary by ±10% around it, as the generator has them).
 *
 * <p>Reading the result: the primary score is documents per second. The secondary results
 * {@code megabytes} and {@code rows} are JMH auxiliary counters incremented by every extracted
 * document's size (in 10^6 bytes) and the rows it produced, so JMH reports them directly as
 * <b>MB/s of documents</b> and <b>rows/s</b>, each per benchmark thread.
 * <pre>
 * java -jar bench/target/pgbackfill-bench.jar ExtractorBenchmark
 * java -jar bench/target/pgbackfill-bench.jar ExtractorBenchmark -p size=100KB -p bufferedLimitMb=8,64
 * </pre>
 * Each size has a corpus of at least 64 MB of different documents (at least 6 for 10 MB), taken
 * round-robin, so that caches hold what they would hold in a real run, not one hot document.
 * Documents above the extractor's buffered limit (8 MB by default) are read twice by design;
 * {@code bufferedLimitMb} shows what that costs.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Benchmark)
public class ExtractorBenchmark {
    /** Fixed "now" (after the generator's data window), so that timestamps normalise the same every run. */
    static final long NOW = 1_750_086_400L;

    @Param({"5KB", "100KB", "10MB"})
    public String size;

    /** The extractor's buffered limit: documents above it are read twice. */
    @Param({"8"})
    public int bufferedLimitMb;

    /** Share of document bytes that is base64 (pasted images); the generator's default is 0.1. */
    @Param({"0.1"})
    public double incompressibleShare;

    DocumentSource[] docs;
    int[] lengths;
    String[] chatIds;
    String[] userIds;

    @Setup(Level.Trial)
    public void generate() {
        int mean = parseSize(size);
        long corpus = Math.max(64L << 20, 6L * mean);
        GeneratorOptions o = GeneratorOptions.builder().seed(20240501).targetBytes(corpus)
            .meanDocumentBytes(mean).sizeSigma(0).maxDocumentBytes(Math.max(mean, 4096) * 2)
            .edgeCaseShare(0).incompressibleShare(incompressibleShare).sharedUserShare(0).build();
        ChatGenerator g = new ChatGenerator(o);
        List<GeneratedChat> chats = new ArrayList<>();
        List<byte[]> bytes = new ArrayList<>();
        while (g.hasNext()) {
            GeneratedChat c = g.next();
            chats.add(c);
            bytes.add(c.documentBytes());
        }
        int n = chats.size();
        docs = new DocumentSource[n];
        lengths = new int[n];
        chatIds = new String[n];
        userIds = new String[n];
        for (int i = 0; i < n; i++) {
            docs[i] = DocumentSource.of(bytes.get(i));
            lengths[i] = bytes.get(i).length;
            chatIds[i] = chats.get(i).id();
            userIds[i] = chats.get(i).userId();
        }
        System.out.printf(Locale.ROOT, "%n# corpus: %d documents, %.1f MB, mean %.1f KB%n",
            n, g.generatedBytes() / 1e6, g.generatedBytes() / 1e3 / n);
    }

    static int parseSize(String s) {
        String u = s.trim().toUpperCase(Locale.ROOT);
        long mult = u.endsWith("MB") ? 1_000_000 : u.endsWith("KB") ? 1_000 : 1;
        String digits = u.replaceAll("[A-Z]+$", "");
        return (int) (Long.parseLong(digits) * mult);
    }

    /** Per thread: its own extractor (not thread-safe), sink and place in the corpus. */
    @State(Scope.Thread)
    public static class Worker {
        MessageExtractor extractor;
        CountingSink sink;
        int next;

        @Setup(Level.Trial)
        public void setUp(ExtractorBenchmark b) {
            extractor = new MessageExtractor(NOW, b.bufferedLimitMb << 20);
            sink = new CountingSink();
            next = (int) (Thread.currentThread().getId() * 7919 % b.docs.length);
        }
    }

    /** Volumes, reported by JMH as rates: megabytes/s and rows/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Volume {
        public double megabytes;
        public long rows;

        @Setup(Level.Iteration)
        public void reset() {
            megabytes = 0;
            rows = 0;
        }
    }

    @Benchmark
    public void extract(Worker w, Volume v, Blackhole bh) throws IOException {
        int i = w.next;
        w.next = i + 1 == docs.length ? 0 : i + 1;
        CountingSink sink = w.sink;
        sink.bh = bh;
        sink.rows = 0;
        w.extractor.extract(chatIds[i], userIds[i], docs[i], sink);
        v.megabytes += lengths[i] / 1e6;
        v.rows += sink.rows;
    }

    /** Hands everything to the Blackhole, so the extractor's work cannot be optimised away. */
    static final class CountingSink implements ExtractionSink {
        Blackhole bh;
        long rows;

        @Override public void row(MessageRow row) {
            rows++;
            bh.consume(row);
        }

        @Override public void rejectedMessage(String chatId, String messageKey, RejectReason reason, String detail, byte[] rawJson) {
            bh.consume(rawJson);
        }

        @Override public void rejectedChat(String chatId, RejectReason reason, String detail, byte[] rawPrefix) {
            bh.consume(rawPrefix);
        }
    }
}
