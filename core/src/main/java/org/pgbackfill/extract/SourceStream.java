package org.pgbackfill.extract;

import java.io.IOException;
import java.io.InputStream;

/**
 * The document's bytes straight from its {@link DocumentSource}, with every exception the source
 * raises (opening, reading, closing) turned into a {@link SourceFailure}. Everything the extractor
 * reads goes through one of these, so whatever a decoder or the JSON parser stacked on top throws
 * is by construction about the document's content.
 */
final class SourceStream extends InputStream {
    private final InputStream in;

    private SourceStream(InputStream in) { this.in = in; }

    static InputStream open(DocumentSource doc) throws SourceFailure {
        try {
            return new SourceStream(doc.open());
        } catch (IOException | RuntimeException e) {
            throw new SourceFailure(e);
        }
    }

    @Override public int read() throws SourceFailure {
        try {
            return in.read();
        } catch (IOException | RuntimeException e) {
            throw new SourceFailure(e);
        }
    }

    @Override public int read(byte[] b, int off, int len) throws SourceFailure {
        try {
            return in.read(b, off, len);
        } catch (IOException | RuntimeException e) {
            throw new SourceFailure(e);
        }
    }

    @Override public long skip(long n) throws SourceFailure {
        try {
            return in.skip(n);
        } catch (IOException | RuntimeException e) {
            throw new SourceFailure(e);
        }
    }

    @Override public int available() throws SourceFailure {
        try {
            return in.available();
        } catch (IOException | RuntimeException e) {
            throw new SourceFailure(e);
        }
    }

    @Override public void close() throws SourceFailure {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            throw new SourceFailure(e);
        }
    }
}
