package org.pgbackfill.extract;

import java.io.IOException;
import java.io.InputStream;

/**
 * Streams the contents of a JSON string literal as UTF-8 bytes: how a double-encoded chat (a
 * document that is a JSON string holding the real document) is decoded without ever holding it
 * as one {@code String}. Escapes are undone; a lone surrogate escape becomes its three-byte form,
 * which the JSON parser reads back as that same lone char (Python keeps it too).
 */
final class JsonStringDecoder extends InputStream {
    private final InputStream in;
    private final byte[] pending = new byte[4];
    private int pendingPos, pendingLen;
    private boolean started, finished;

    JsonStringDecoder(InputStream in) { this.in = in; }

    @Override
    public int read() throws IOException {
        if (pendingPos < pendingLen) return pending[pendingPos++] & 0xff;
        if (finished) return -1;
        if (!started) {
            int c = skipWhitespace();
            if (c != '"') throw new MalformedDocumentException("double-encoded document does not start with a string");
            started = true;
        }
        int c = in.read();
        if (c < 0) throw new MalformedDocumentException("double-encoded document: unterminated string");
        if (c == '"') {
            if (skipWhitespace() != -1) throw new MalformedDocumentException("double-encoded document: data after the string");
            finished = true;
            return -1;
        }
        if (c != '\\') return c;
        int e = in.read();
        switch (e) {
            case '"': return '"';
            case '\\': return '\\';
            case '/': return '/';
            case 'b': return '\b';
            case 'f': return '\f';
            case 'n': return '\n';
            case 'r': return '\r';
            case 't': return '\t';
            case 'u': return unicodeEscape();
            default: throw new MalformedDocumentException("double-encoded document: bad escape \\" + (char) e);
        }
    }

    @Override
    public int read(byte[] b, int off, int n) throws IOException {
        if (n == 0) return 0;
        int i = 0;
        while (i < n) {
            int c = read();
            if (c < 0) return i == 0 ? -1 : i;
            b[off + i++] = (byte) c;
        }
        return i;
    }

    private int unicodeEscape() throws IOException {
        int cp = hex4();
        if (Character.isHighSurrogate((char) cp)) {
            in.mark(6);
            if (in.read() == '\\' && in.read() == 'u') {
                int low = hex4();
                if (Character.isLowSurrogate((char) low)) {
                    cp = Character.toCodePoint((char) cp, (char) low);
                } else {
                    in.reset();
                }
            } else {
                in.reset();
            }
        }
        return emit(cp);
    }

    private int emit(int cp) {
        pendingPos = 0;
        if (cp < 0x80) {
            pendingLen = 0;
            return cp;
        } else if (cp < 0x800) {
            pending[0] = (byte) (0x80 | (cp & 0x3f));
            pendingLen = 1;
            return 0xc0 | (cp >> 6);
        } else if (cp < 0x10000) {
            pending[0] = (byte) (0x80 | ((cp >> 6) & 0x3f));
            pending[1] = (byte) (0x80 | (cp & 0x3f));
            pendingLen = 2;
            return 0xe0 | (cp >> 12);
        }
        pending[0] = (byte) (0x80 | ((cp >> 12) & 0x3f));
        pending[1] = (byte) (0x80 | ((cp >> 6) & 0x3f));
        pending[2] = (byte) (0x80 | (cp & 0x3f));
        pendingLen = 3;
        return 0xf0 | (cp >> 18);
    }

    private int hex4() throws IOException {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int c = in.read();
            int d = Character.digit(c, 16);
            if (c < 0 || d < 0) throw new MalformedDocumentException("double-encoded document: bad \\u escape");
            v = v * 16 + d;
        }
        return v;
    }

    private int skipWhitespace() throws IOException {
        int c;
        do { c = in.read(); } while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
        return c;
    }

    @Override public void close() throws IOException { in.close(); }
}
