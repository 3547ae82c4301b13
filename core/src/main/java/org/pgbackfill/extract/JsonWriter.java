package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;

/**
 * A compact JSON writer into a growable byte array, fed token by token from a Jackson parser.
 *
 * <p>Why not Jackson's generator: the extractor needs the byte offsets of the values it copies
 * (JSON columns are slices of the copied message), numbers copied with their source text
 * (JSON-equal, no double round trip), lone surrogates written as {@code \\uXXXX} escapes (as
 * Python's json.dumps does) instead of an error, and two facts noticed on the way: a repeated key
 * inside an object, and a number Python would turn into {@code Infinity}.
 */
final class JsonWriter {
    static final int DUPLICATE_KEY = 1;
    static final int NUMBER_OUT_OF_RANGE = 2;
    /** Nested deeper than Python's json.dumps writes ({@link PythonJson#MAX_WRITE_NESTING}). */
    static final int TOO_DEEP = 4;

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Escape every non-ASCII char, as Python's json.dumps does: needed when the server's encoding is not UTF-8. */
    private final boolean asciiOnly;
    byte[] buf = new byte[8192];
    int len;
    private boolean[] needComma = new boolean[64];
    private final List<HashSet<String>> names = new ArrayList<>();

    JsonWriter(boolean asciiOnly) { this.asciiOnly = asciiOnly; }

    void reset() { len = 0; }

    byte[] toByteArray() { return Arrays.copyOf(buf, len); }

    void ensure(int extra) {
        if (len + extra > buf.length) {
            long want = Math.max((long) buf.length * 2, (long) len + extra);
            if (want > Integer.MAX_VALUE - 16) throw new IllegalStateException("JSON value larger than 2 GB");
            buf = Arrays.copyOf(buf, (int) want);
        }
    }

    void put(byte b) {
        ensure(1);
        buf[len++] = b;
    }

    void putAscii(String s) {
        ensure(s.length());
        for (int i = 0; i < s.length(); i++) buf[len++] = (byte) s.charAt(i);
    }

    /**
     * Copies the value whose first token is the parser's current token, leaving the parser on its
     * last token. Returns {@link #DUPLICATE_KEY}, {@link #NUMBER_OUT_OF_RANGE} and {@link #TOO_DEEP} flags.
     */
    int copyValue(JsonParser p) throws IOException {
        int flags = 0;
        int depth = 0;
        boolean afterName = true;   // the caller has written the separator before this value
        JsonToken t = p.currentToken();
        while (true) {
            switch (t) {
                case START_OBJECT, START_ARRAY -> {
                    if (!afterName) comma(depth);
                    put(t == JsonToken.START_OBJECT ? (byte) '{' : (byte) '[');
                    depth++;
                    if (depth > PythonJson.MAX_WRITE_NESTING) flags |= TOO_DEEP;
                    if (depth >= needComma.length) needComma = Arrays.copyOf(needComma, depth * 2);
                    needComma[depth] = false;
                    if (t == JsonToken.START_OBJECT) namesAt(depth).clear();
                    afterName = false;
                }
                case END_OBJECT, END_ARRAY -> {
                    put(t == JsonToken.END_OBJECT ? (byte) '}' : (byte) ']');
                    depth--;
                }
                case FIELD_NAME -> {
                    comma(depth);
                    String name = p.currentName();
                    if (!namesAt(depth).add(name)) flags |= DUPLICATE_KEY;
                    writeString(name);
                    put((byte) ':');
                    afterName = true;
                    t = p.nextToken();
                    continue;
                }
                default -> {
                    if (!afterName) comma(depth);
                    flags |= writeScalar(p, t);
                }
            }
            afterName = false;
            if (depth == 0) return flags;
            t = p.nextToken();
            if (t == null) throw new com.fasterxml.jackson.core.JsonParseException(p, "unexpected end of document");
        }
    }

    private HashSet<String> namesAt(int depth) {
        while (names.size() <= depth) names.add(new HashSet<>());
        return names.get(depth);
    }

    private void comma(int depth) {
        if (depth == 0) return;
        if (needComma[depth]) put((byte) ',');
        needComma[depth] = true;
    }

    /** Writes a scalar token; returns {@link #NUMBER_OUT_OF_RANGE} when Python could not re-encode it. */
    int writeScalar(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case VALUE_STRING -> writeString(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
            case VALUE_NUMBER_INT -> putAscii(p.getText());
            case VALUE_NUMBER_FLOAT -> {
                // Only Python's own literals get here: the parser refused the others (PythonGrammarParser).
                String text = p.getText();
                putAscii(text);
                if (PythonNumbers.notWritable(text)) return NUMBER_OUT_OF_RANGE;
            }
            case VALUE_TRUE -> putAscii("true");
            case VALUE_FALSE -> putAscii("false");
            case VALUE_NULL -> putAscii("null");
            default -> throw new IllegalStateException("not a scalar: " + t);
        }
        return 0;
    }

    void writeString(String s) {
        ensure(s.length() * 3 + 2);
        put((byte) '"');
        for (int i = 0; i < s.length(); i++) i = writeChar(s.charAt(i), s, null, i, s.length());
        put((byte) '"');
    }

    void writeString(char[] c, int off, int n) {
        ensure(n * 3 + 2);
        put((byte) '"');
        int end = off + n;
        for (int i = off; i < end; i++) {
            char ch = c[i];
            if (ch >= 0x20 && ch < 0x80 && ch != '"' && ch != '\\') {
                if (len == buf.length) ensure((end - i) * 3 + 2);
                buf[len++] = (byte) ch;
            } else {
                i = writeChar(ch, null, c, i, end);
            }
        }
        put((byte) '"');
    }

    /** Writes one char (two for a surrogate pair); returns the index of the last char consumed. */
    private int writeChar(char ch, String s, char[] c, int i, int end) {
        ensure(12);
        if (asciiOnly && ch >= 0x80) {
            escape(ch);
        } else if (ch < 0x80) {
            switch (ch) {
                case '"' -> { buf[len++] = '\\'; buf[len++] = '"'; }
                case '\\' -> { buf[len++] = '\\'; buf[len++] = '\\'; }
                case '\n' -> { buf[len++] = '\\'; buf[len++] = 'n'; }
                case '\r' -> { buf[len++] = '\\'; buf[len++] = 'r'; }
                case '\t' -> { buf[len++] = '\\'; buf[len++] = 't'; }
                default -> {
                    if (ch < 0x20) escape(ch); else buf[len++] = (byte) ch;
                }
            }
        } else if (ch < 0x800) {
            buf[len++] = (byte) (0xc0 | (ch >> 6));
            buf[len++] = (byte) (0x80 | (ch & 0x3f));
        } else if (Character.isHighSurrogate(ch) && i + 1 < end
                && Character.isLowSurrogate(s != null ? s.charAt(i + 1) : c[i + 1])) {
            int cp = Character.toCodePoint(ch, s != null ? s.charAt(i + 1) : c[i + 1]);
            buf[len++] = (byte) (0xf0 | (cp >> 18));
            buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
            buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
            buf[len++] = (byte) (0x80 | (cp & 0x3f));
            return i + 1;
        } else if (Character.isSurrogate(ch)) {
            escape(ch);   // a lone surrogate: kept as an escape, as json.dumps writes it
        } else {
            buf[len++] = (byte) (0xe0 | (ch >> 12));
            buf[len++] = (byte) (0x80 | ((ch >> 6) & 0x3f));
            buf[len++] = (byte) (0x80 | (ch & 0x3f));
        }
        return i;
    }

    private void escape(char ch) {
        buf[len++] = '\\';
        buf[len++] = 'u';
        buf[len++] = HEX[(ch >> 12) & 0xf];
        buf[len++] = HEX[(ch >> 8) & 0xf];
        buf[len++] = HEX[(ch >> 4) & 0xf];
        buf[len++] = HEX[ch & 0xf];
    }
}
