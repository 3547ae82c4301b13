package org.pgbackfill.extract;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Streams the characters of a JSON string literal: how a double-encoded chat (a document that is
 * a JSON string holding the real document) is decoded without ever holding it as one
 * {@code String}. The result is characters, not bytes, because Python's {@code json.loads} of a
 * {@code str} reads characters: nothing guesses an encoding from NULs or a byte-order mark, and a
 * lone surrogate escape stays that one char (Python keeps it too).
 *
 * <p>The literal itself is read as Python's json module reads a string: the escapes of RFC 8259
 * only, a {@code \\u} escape of exactly four ASCII hex digits, and no
 * raw control character. The outer bytes are UTF-8 (PostgreSQL's); invalid UTF-8 is an error.
 */
final class JsonStringDecoder extends Reader {
    private final Reader in;
    private final char[] buffer = new char[8192];
    private int pos, limit;
    private boolean started, finished;

    JsonStringDecoder(InputStream utf8) {
        this.in = new InputStreamReader(utf8, StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
    }

    @Override
    public int read(char[] b, int off, int n) throws IOException {
        if (n == 0) return 0;
        int i = 0;
        while (i < n) {
            int c = next();
            if (c < 0) return i == 0 ? -1 : i;
            b[off + i++] = (char) c;
        }
        return i;
    }

    /** The next decoded char, or -1 after the closing quote. */
    private int next() throws IOException {
        if (finished) return -1;
        if (!started) {
            int c = skipWhitespace();
            if (c != '"') throw new MalformedDocumentException("double-encoded document does not start with a string");
            started = true;
        }
        int c = raw();
        if (c < 0) throw new MalformedDocumentException("double-encoded document: unterminated string");
        if (c == '"') {
            if (skipWhitespace() != -1) throw new MalformedDocumentException("double-encoded document: data after the string");
            finished = true;
            return -1;
        }
        if (c < 0x20) throw new MalformedDocumentException("double-encoded document: raw control character U+00"
            + String.format("%02X", c) + " in the string");
        if (c != '\\') return c;
        int e = raw();
        return switch (e) {
            case '"' -> '"';
            case '\\' -> '\\';
            case '/' -> '/';
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'u' -> unicodeEscape();
            default -> throw new MalformedDocumentException("double-encoded document: bad escape \\" + (e < 0 ? "" : (char) e));
        };
    }

    /**
     * A {@code \\uXXXX} escape is one UTF-16 char: a pair of escapes gives the two halves of a
     * surrogate pair in sequence (the same string Python builds), a lone one stays alone.
     */
    private int unicodeEscape() throws IOException {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int c = raw();
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) throw new MalformedDocumentException("double-encoded document: bad \\u escape");
            v = v * 16 + d;
        }
        return v;
    }

    /** The next char of the outer text, buffered: InputStreamReader's one-char read is slow. */
    private int raw() throws IOException {
        if (pos == limit) {
            limit = in.read(buffer, 0, buffer.length);
            pos = 0;
            if (limit <= 0) {
                limit = 0;
                return -1;
            }
        }
        return buffer[pos++];
    }

    private int skipWhitespace() throws IOException {
        int c;
        do { c = raw(); } while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
        return c;
    }

    @Override public void close() throws IOException { in.close(); }
}
