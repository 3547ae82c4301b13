package org.pgbackfill.seed;

/**
 * A 1 MiB piece of one connection's COPY data, with the count and document bytes of the rows that
 * end in it. The seeder's generator fills chunks and its loaders send them; a fixed pool of chunks
 * circulates between them, so memory stays a few MiB per connection however large a document is
 * (a row may span several chunks, and its count goes with its last one).
 */
final class CopyChunk {
    static final int SIZE = 1 << 20;

    final byte[] data = new byte[SIZE];
    int length;
    long rows;              // rows completed in this chunk
    long documentBytes;     // their document bytes
    boolean endOfBatch;     // the COPY statement ends after this chunk
    boolean endOfStream;

    CopyChunk recycle() {
        length = 0;
        rows = 0;
        documentBytes = 0;
        endOfBatch = false;
        endOfStream = false;
        return this;
    }
}

