package org.pgbackfill.seed;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The seeder's generator side: encodes each generated chat as one tuple of COPY's binary format
 * into {@link CopyChunk}s and deals them to the connections' streams in runs of about 4 MiB, so
 * the data set is the same whatever the number of connections. A fixed pool of chunks bounds what
 * is in flight; {@link #fail} stops every thread, whichever failed first.
 */
final class SeedPipeline {
    private static final int CHUNKS_PER_STREAM = 6;
    private static final long RUN_BYTES = 4L << 20;

    final BlockingQueue<CopyChunk> free;
    final BlockingQueue<CopyChunk>[] full;
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final AtomicLong chatsLoaded = new AtomicLong();
    final AtomicLong bytesLoaded = new AtomicLong();
    final ChatGenerator generator;
    final long batchBytes;
    final long[] inBatch;
    volatile boolean stop;
    private CopyChunk cur;
    private int stream;
    private final byte[] scratch = new byte[16];

    @SuppressWarnings("unchecked")
    SeedPipeline(ChatGenerator generator, int streams, long batchBytes) {
        this.generator = generator;
        this.batchBytes = batchBytes;
        this.inBatch = new long[streams];
        this.free = new ArrayBlockingQueue<>(CHUNKS_PER_STREAM * streams);
        this.full = new BlockingQueue[streams];
        // room for every chunk plus the poison of fail(): a put never blocks
        for (int i = 0; i < streams; i++) full[i] = new ArrayBlockingQueue<>(2 * CHUNKS_PER_STREAM * streams + 2);
        for (int i = 0; i < CHUNKS_PER_STREAM * streams; i++) free.add(new CopyChunk());
    }

    void fail(Throwable t) {
        if (error.compareAndSet(null, t)) {
            stop = true;
            // wake everyone: loaders wait on their queue, the producer on the free pool
            for (BlockingQueue<CopyChunk> q : full) {
                CopyChunk poison = new CopyChunk();
                poison.endOfStream = true;
                q.offer(poison);
            }
            free.offer(new CopyChunk());
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
                CopyChunk end = free.take();
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
            if (cur.length == CopyChunk.SIZE) handOver();        // mid-row: the row's count goes with its last chunk
            int k = Math.min(len, CopyChunk.SIZE - cur.length);
            System.arraycopy(src, off, cur.data, cur.length, k);
            cur.length += k;
            off += k;
            len -= k;
        }
    }
}
