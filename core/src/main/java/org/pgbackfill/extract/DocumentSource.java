package org.pgbackfill.extract;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A chat document that can be read more than once. Small documents are held in memory; large ones
 * are re-read from the database in chunks, so that no document ever needs to be in memory whole.
 */
public interface DocumentSource {
    /**
     * A new stream over the document's UTF-8 bytes, from the start. An exception from opening or
     * reading it is a failure of the source (the database, the spool file): the extractor lets it
     * propagate to the range, unchanged. Nothing else that happens while reading a document does.
     */
    InputStream open() throws IOException;

    /** The document's length in bytes. */
    long length();

    /** The bytes when the document is held in memory (then {@link #offset()} is where it starts), else null. */
    default byte[] array() { return null; }

    default int offset() { return 0; }

    static DocumentSource of(byte[] bytes) {
        return of(bytes, 0, bytes.length);
    }

    static DocumentSource of(byte[] bytes, int offset, int length) {
        return new DocumentSource() {
            @Override public InputStream open() { return new ByteArrayInputStream(bytes, offset, length); }
            @Override public long length() { return length; }
            @Override public byte[] array() { return bytes; }
            @Override public int offset() { return offset; }
        };
    }
}
