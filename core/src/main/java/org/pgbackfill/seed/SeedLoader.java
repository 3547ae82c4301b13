package org.pgbackfill.seed;

import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

import java.sql.SQLException;

/**
 * One of the seeder's COPY streams: takes the chunks the {@link SeedPipeline} dealt to its
 * connection and sends them through pgjdbc's {@link CopyIn}, ending a COPY statement (which
 * commits it in autocommit mode) where the pipeline marked a batch's end. On any failure it stops
 * the pipeline and cancels its open COPY, so a connection is never left mid-protocol and nothing
 * half-sent is committed.
 */
final class SeedLoader implements Runnable {
    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] TRAILER = {(byte) 0xff, (byte) 0xff};

    final SeedPipeline p;
    final int stream;
    final CopyManager api;
    final ChatSeeder.Progress progress;
    long rowsSent, rowsLoaded, documentBytes, copyBytes;
    int copies;

    SeedLoader(SeedPipeline p, int stream, CopyManager api, ChatSeeder.Progress progress) {
        this.p = p;
        this.stream = stream;
        this.api = api;
        this.progress = progress;
    }

    @Override public void run() {
        CopyIn copy = null;
        try {
            while (true) {
                CopyChunk c = p.full[stream].take();
                if (p.stop) break;                      // another thread failed: cancel, do not commit
                if (c.length > 0) {
                    if (copy == null) {
                        copy = api.copyIn(ChatSeeder.COPY_SQL);
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

