package org.pgbackfill.seed;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fills Open WebUI's {@code chat} table with generated chats, fast.
 *
 * <p>One generator thread encodes rows in COPY's binary format into 1 MiB chunks; one loader
 * thread per connection streams them to PostgreSQL with pgjdbc's {@link CopyIn}. Generation and
 * loading overlap, a few MiB per connection are in flight, and a document is never held twice (a
 * 40 MB document crosses in 1 MiB pieces). Binary format, because {@code json}'s binary form is its
 * text: documents go out as generated, with no escaping pass.
 *
 * <p>Why several connections: with the default {@code pglz} TOAST compression, PostgreSQL spends
 * most of a COPY compressing documents, on one core per backend (about 40 MB/s of documents on a
 * 2-core VM, whatever the client does). Rows are dealt to the connections in runs of about 4 MiB
 * from the one generator, so the data set is the same whatever the number of connections; only
 * the physical row order differs.
 *
 * <p>Each connection's rows go in COPY statements of about {@link #copyBatchBytes} each. In
 * autocommit mode each statement commits on its own, so an interrupted seed keeps what it loaded;
 * otherwise the caller commits (one connection only). Connections belong to the caller and are
 * left open.
 */
public final class ChatSeeder {
    /** The Open WebUI schema at revision 374d2f66af06, as a classpath resource. */
    public static final String SCHEMA_RESOURCE = "/org/pgbackfill/sql/openwebui-374d2f66af06.sql";
    static final String COPY_SQL =
        "COPY chat (id, user_id, title, created_at, updated_at, archived, chat, pinned, meta) FROM STDIN (FORMAT binary)";

    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] TRAILER = {(byte) 0xff, (byte) 0xff};
    private static final int CHUNK = 1 << 20;
    private static final int CHUNKS_PER_STREAM = 6;
    private static final long RUN_BYTES = 4L << 20;

    /** Told about progress; called from loader threads, so it must be thread-safe and quick. */
    @FunctionalInterface
    public interface Progress {
        void loaded(long chats, long documentBytes);
    }

    private final GeneratorOptions options;
    private long copyBatchBytes = 256L << 20;
    private Progress progress = (c, b) -> { };

    public ChatSeeder(GeneratorOptions options) {
        this.options = Objects.requireNonNull(options);
    }

    /** Bytes per COPY statement and connection (default 256 MiB); a statement always ends on a row boundary. */
    public ChatSeeder copyBatchBytes(long bytes) {
        if (bytes < CHUNK) throw new IllegalArgumentException("COPY batch must be at least 1 MiB, got " + bytes);
        this.copyBatchBytes = bytes;
        return this;
    }

    public ChatSeeder progress(Progress p) {
        this.progress = Objects.requireNonNull(p);
        return this;
    }

    /**
     * Creates Open WebUI's {@code chat} and {@code alembic_version} tables (at revision
     * 374d2f66af06) in the connection's current schema unless {@code chat} exists.
     *
     * @return true when the schema was created
     */
    public static boolean createSchemaIfAbsent(Connection c) throws SQLException {
        boolean chat, alembic;
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT to_regclass('chat') IS NOT NULL, to_regclass('alembic_version') IS NOT NULL")) {
            rs.next();
            chat = rs.getBoolean(1);
            alembic = rs.getBoolean(2);
        }
        if (chat) return false;
        if (alembic) {
            throw new SQLException("the database has an alembic_version table but no chat table: it is not an Open WebUI "
                + "database at revision 374d2f66af06; seed an empty database instead");
        }
        try (Statement s = c.createStatement()) {
            s.execute(schemaSql());
        }
        return true;
    }

    /** The text of {@link #SCHEMA_RESOURCE}. */
    public static String schemaSql() {
        try (InputStream in = ChatSeeder.class.getResourceAsStream(SCHEMA_RESOURCE)) {
            if (in == null) throw new IllegalStateException("classpath resource " + SCHEMA_RESOURCE + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + SCHEMA_RESOURCE, e);
        }
    }

    /** {@link #seed(List)} over one connection. */
    public SeedReport seed(Connection connection) throws SQLException {
        return seed(List.of(connection));
    }

    /**
     * Creates the schema when absent (on the first connection), then loads chats until
     * {@link GeneratorOptions#chats()} chats or {@link GeneratorOptions#targetBytes()} bytes of
     * documents were generated, with one COPY stream per connection (all to the same database).
     * With more than one connection, all must be in autocommit mode.
     */
    public SeedReport seed(List<Connection> connections) throws SQLException {
        if (connections.isEmpty()) throw new IllegalArgumentException("no connection given");
        if (connections.size() > 1) {
            for (Connection c : connections) {
                if (!c.getAutoCommit()) {
                    throw new IllegalArgumentException("seeding over " + connections.size()
                        + " connections needs them all in autocommit mode (each COPY commits on its own)");
                }
            }
        }
        createSchemaIfAbsent(connections.get(0));
        List<CopyManager> copyApis = new ArrayList<>();
        for (Connection c : connections) copyApis.add(c.unwrap(PGConnection.class).getCopyAPI());

        long t0 = System.nanoTime();
        int n = connections.size();
        Pipeline p = new Pipeline(new ChatGenerator(options), n, copyBatchBytes);
        Loader[] loaders = new Loader[n];
        List<Thread> threads = new ArrayList<>();
        Thread producer = new Thread(p::produce, "pgbackfill-seed-generator");
        producer.setDaemon(true);
        threads.add(producer);
        for (int i = 0; i < n; i++) {
            loaders[i] = new Loader(p, i, copyApis.get(i));
            Thread t = new Thread(loaders[i], "pgbackfill-seed-copy-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        try {
            for (Thread t : threads) t.join();
        } catch (InterruptedException e) {
            p.fail(e);
            threads.forEach(Thread::interrupt);
            Thread.currentThread().interrupt();
        }
        Throwable error = p.error.get();
        if (error instanceof SQLException se) throw se;
        if (error != null) throw new SQLException("seeding failed: " + error, error);

        long rows = 0, sent = 0, docBytes = 0, copyBytes = 0;
        int copies = 0;
        for (Loader l : loaders) {
            rows += l.rowsLoaded;
            sent += l.rowsSent;
            docBytes += l.documentBytes;
            copyBytes += l.copyBytes;
            copies += l.copies;
        }
        if (rows != sent) throw new SQLException("COPY reported " + rows + " rows loaded but " + sent + " chats were sent");
        return new SeedReport(rows, docBytes, copyBytes, copies, (System.nanoTime() - t0) / 1e9);
    }

    /** A piece of one stream's COPY data, with the rows that end in it. */
    private static final class Chunk {
        final byte[] data = new byte[CHUNK];
        int length;
        long rows;              // rows completed in this chunk
        long documentBytes;     // their document bytes
        boolean endOfBatch;     // the COPY statement ends after this chunk
        boolean endOfStream;

        Chunk recycle() {
            length = 0;
            rows = 0;
            documentBytes = 0;
            endOfBatch = false;
            endOfStream = false;
            return this;
        }
    }

    /** One COPY stream: takes its chunks and sends them. */
    private final class Loader implements Runnable {
        final Pipeline p;
        final int stream;
        final CopyManager api;
        long rowsSent, rowsLoaded, documentBytes, copyBytes;
        int copies;

        Loader(Pipeline p, int stream, CopyManager api) {
            this.p = p;
            this.stream = stream;
            this.api = api;
        }

        @Override public void run() {
            CopyIn copy = null;
            try {
                while (true) {
                    Chunk c = p.full[stream].take();
                    if (p.stop) break;                      // another thread failed: cancel, do not commit
                    if (c.length > 0) {
                        if (copy == null) {
                            copy = api.copyIn(COPY_SQL);
                            copy.writeToCopy(HEADER, 0, HEADER.length);
                            copies++;
                        }
                        copy.writeToCopy(c.data, 0, c.length);
                        copyBytes += c.length;
                    }
                    rowsSent += c.rows;
                    documentBytes += c.documentBytes;
                    boolean endBatch = c.endOfBatch || c.endOfStream;
                    boolean end = c.endOfStream;
                    long rows = c.rows, bytes = c.documentBytes;
                    p.free.put(c.recycle());
                    if (endBatch && copy != null) {
                        copy.writeToCopy(TRAILER, 0, TRAILER.length);
                        rowsLoaded += copy.endCopy();
                        copy = null;
                    }
                    if (rows > 0) progress.loaded(p.chatsLoaded.addAndGet(rows), p.bytesLoaded.addAndGet(bytes));
                    if (end) break;
                }
            } catch (Throwable t) {
                p.fail(t);
            } finally {
                if (copy != null && copy.isActive()) {
                    try { copy.cancelCopy(); } catch (SQLException ignored) { /* the first error is what matters */ }
                }
            }
        }
    }

    /** The generator side: encodes rows into chunks and deals them to the streams. */
    private static final class Pipeline {
        final BlockingQueue<Chunk> free;
        final BlockingQueue<Chunk>[] full;
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final AtomicLong chatsLoaded = new AtomicLong();
        final AtomicLong bytesLoaded = new AtomicLong();
        final ChatGenerator generator;
        final long batchBytes;
        final long[] inBatch;
        volatile boolean stop;
        private Chunk cur;
        private int stream;
        private final byte[] scratch = new byte[16];

        @SuppressWarnings("unchecked")
        Pipeline(ChatGenerator generator, int streams, long batchBytes) {
            this.generator = generator;
            this.batchBytes = batchBytes;
            this.inBatch = new long[streams];
            this.free = new ArrayBlockingQueue<>(CHUNKS_PER_STREAM * streams);
            this.full = new BlockingQueue[streams];
            // room for every chunk plus the poison of fail(): a put never blocks
            for (int i = 0; i < streams; i++) full[i] = new ArrayBlockingQueue<>(2 * CHUNKS_PER_STREAM * streams + 2);
            for (int i = 0; i < CHUNKS_PER_STREAM * streams; i++) free.add(new Chunk());
        }

        void fail(Throwable t) {
            if (error.compareAndSet(null, t)) {
                stop = true;
                // wake everyone: loaders wait on their queue, the producer on the free pool
                for (BlockingQueue<Chunk> q : full) {
                    Chunk poison = new Chunk();
                    poison.endOfStream = true;
                    q.offer(poison);
                }
                free.offer(new Chunk());
            }
        }

        void produce() {
            try {
                cur = free.take();
                long inRun = 0;
                while (!stop && generator.hasNext()) {
                    GeneratedChat chat = generator.next();
                    long size = writeRow(chat);
                    cur.rows++;
                    cur.documentBytes += chat.documentLength();
                    inRun += size;
                    inBatch[stream] += size;
                    if (inBatch[stream] >= batchBytes) {
                        cur.endOfBatch = true;
                        inBatch[stream] = 0;
                    }
                    if (cur.endOfBatch || inRun >= RUN_BYTES) {  // deal the next rows to the next stream
                        handOver();
                        stream = (stream + 1) % full.length;
                        inRun = 0;
                    }
                }
                if (stop) return;
                cur.endOfStream = true;
                full[stream].put(cur);
                for (int s = 0; s < full.length; s++) {
                    if (s == stream) continue;
                    Chunk end = free.take();
                    end.endOfStream = true;
                    full[s].put(end);
                }
            } catch (InterruptedException e) {
                // stopped
            } catch (Throwable t) {
                fail(t);
            }
        }

        private void handOver() throws InterruptedException {
            full[stream].put(cur);
            cur = free.take();
            if (stop) throw new InterruptedException();
        }

        /** One tuple of COPY binary; returns its size. */
        private long writeRow(GeneratedChat c) throws InterruptedException {
            long before = written;
            short16(9);
            text(c.id());
            text(c.userId());
            text(c.title());
            int64(c.createdAt());
            int64(c.updatedAt());
            bool(c.archived());
            if (c.documentIsNull()) {
                int32(-1);
            } else {
                int32(c.documentLength());
                bytes(c.buffer(), 0, c.documentLength());
            }
            bool(c.pinned());
            text(c.meta());
            return written - before;
        }

        private long written;

        private void text(String s) throws InterruptedException {
            if (s == null) { int32(-1); return; }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            int32(b.length);
            bytes(b, 0, b.length);
        }

        private void bool(boolean v) throws InterruptedException {
            int32(1);
            scratch[0] = (byte) (v ? 1 : 0);
            bytes(scratch, 0, 1);
        }

        private void short16(int v) throws InterruptedException {
            scratch[0] = (byte) (v >>> 8);
            scratch[1] = (byte) v;
            bytes(scratch, 0, 2);
        }

        private void int32(int v) throws InterruptedException {
            scratch[0] = (byte) (v >>> 24); scratch[1] = (byte) (v >>> 16);
            scratch[2] = (byte) (v >>> 8); scratch[3] = (byte) v;
            bytes(scratch, 0, 4);
        }

        private void int64(long v) throws InterruptedException {
            int32(8);
            for (int i = 0; i < 8; i++) scratch[i] = (byte) (v >>> (56 - 8 * i));
            bytes(scratch, 0, 8);
        }

        private void bytes(byte[] src, int off, int len) throws InterruptedException {
            written += len;
            while (len > 0) {
                if (cur.length == CHUNK) handOver();        // mid-row: the row's count goes with its last chunk
                int k = Math.min(len, CHUNK - cur.length);
                System.arraycopy(src, off, cur.data, cur.length, k);
                cur.length += k;
                off += k;
                len -= k;
            }
        }
    }
}
