package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharTypes;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import com.fasterxml.jackson.core.sym.ByteQuadsCanonicalizer;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Jackson's UTF-8 parser, skipping strings eight bytes at a time. Most of a chat document is string
 * content the extractor never decodes (it slices messages out as bytes and skips the rest), and
 * Jackson's {@code _skipString} looks every byte up in a table: the profile of a backfill put a third
 * of the client's CPU there. Here a run of plain bytes (printable ASCII other than {@code "} and
 * {@code \}) is crossed a 64-bit word at a time; the first byte that is not plain is handled exactly
 * as Jackson handles it (the end quote, an escape, a multi-byte UTF-8 sequence, a refused control
 * character), so what is accepted and refused, and the errors, are Jackson's; the common escapes are
 * checked without Jackson's decoding of them. It also keeps Jackson's field-name table from holding
 * a document of long keys ({@link #LONG_NAME_INTS}).
 */
final class WordSkippingParser extends UTF8StreamJsonParser {
    private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long QUOTES = '"' * ONES;
    private static final long BACKSLASHES = '\\' * ONES;
    private static final long SPACES = ' ' * ONES;
    private static final int[] CODES = CharTypes.getInputCodeUtf8();
    /** The hex digits of a u-escape (a backslash, u, four of them), as Jackson's {@code CharTypes.charToHex} takes them. */
    private static final boolean[] HEX = new boolean[256];

    static {
        for (int c = 0; c < 256; c++) HEX[c] = CharTypes.charToHex(c) >= 0;
    }

    /**
     * The most the field-name table may hold of long names (of more than 12 bytes; shorter ones live
     * in its hash slots), in ints of 4 bytes, before it is emptied. Jackson's table keeps every distinct
     * name a parser meets, its String and a copy of its bytes, and grows the copies' area by copying it
     * whole, at every name once they are long: a document of distinct long keys (100 MB of 64 KB keys)
     * took more than twice its size in heap, copied over and over (an OutOfMemoryError in 256 MB).
     * Emptied, the table costs the few common names again; bounded, memory and copying are too.
     */
    static final int LONG_NAME_INTS = 64 << 10;
    private static final VarHandle LONG_NAME_OFFSET, HASH_SIZE, HASH_SHARED;
    private static final MethodHandle EMPTY;

    static {
        VarHandle offset = null, size = null, shared = null;
        MethodHandle empty = null;
        try {
            // the table keeps these to itself; on the class path its package is open to us
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(ByteQuadsCanonicalizer.class, MethodHandles.lookup());
            offset = l.findVarHandle(ByteQuadsCanonicalizer.class, "_longNameOffset", int.class);
            size = l.findVarHandle(ByteQuadsCanonicalizer.class, "_hashSize", int.class);
            shared = l.findVarHandle(ByteQuadsCanonicalizer.class, "_hashShared", boolean.class);
            empty = l.findVirtual(ByteQuadsCanonicalizer.class, "nukeSymbols", MethodType.methodType(void.class, boolean.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            // another Jackson, or its module closed to us: names stay unbounded, as with Jackson's own parser
            empty = null;
        }
        LONG_NAME_OFFSET = offset;
        HASH_SIZE = size;
        HASH_SHARED = shared;
        EMPTY = empty;
    }

    /** Whether the field-name table can be bounded here (a test fails when a Jackson upgrade takes that away). */
    static boolean boundsNames() {
        return EMPTY != null;
    }

    private int nameChars;   // of the names met since the field-name table was last looked at

    WordSkippingParser(IOContext ctxt, int features, InputStream in, ObjectCodec codec, ByteQuadsCanonicalizer sym,
                       byte[] buffer, int start, int end, boolean recyclable) {
        super(ctxt, features, in, codec, sym, buffer, start, end, recyclable);
    }

    @Override
    public JsonToken nextToken() throws IOException {
        JsonToken t = super.nextToken();
        if (t == JsonToken.FIELD_NAME) boundNames();
        return t;
    }

    @Override
    public String nextFieldName() throws IOException {
        String name = super.nextFieldName();
        if (name != null) boundNames();
        return name;
    }

    @Override
    public boolean nextFieldName(SerializableString str) throws IOException {
        boolean matched = super.nextFieldName(str);
        if (currentToken() == JsonToken.FIELD_NAME) boundNames();
        return matched;
    }

    /**
     * Empties the field-name table once its long names take more than {@link #LONG_NAME_INTS}. The
     * table is looked at only after names of that many characters (each at least a byte), so that
     * the common case costs an addition per name.
     */
    private void boundNames() throws IOException {
        if ((nameChars += currentName().length()) <= LONG_NAME_INTS || EMPTY == null) return;
        nameChars = 0;
        ByteQuadsCanonicalizer names = _symbols;
        // long names are appended after the hash area, whose _hashSize slots take 8 ints each
        if ((int) LONG_NAME_OFFSET.get(names) - ((int) HASH_SIZE.get(names) << 3) > LONG_NAME_INTS
                && !(boolean) HASH_SHARED.get(names)) {
            try {
                EMPTY.invokeExact(names, true);
            } catch (Throwable e) {
                throw new IllegalStateException("cannot empty the field-name table", e);
            }
        }
    }

    /**
     * The high bit of each byte of {@code w} that is not plain, exact for the lowest such byte (the
     * borrows of the subtractions may mark bytes above it too, which is harmless: only the lowest is used).
     */
    static long notPlain(long w) {
        long q = w ^ QUOTES, b = w ^ BACKSLASHES;
        return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - SPACES) & ~w) | w) & HIGH_BITS;
    }

    @Override
    protected void _skipString() throws IOException {
        _tokenIncomplete = false;
        final int[] codes = CODES;
        while (true) {
            int c;
            plain:
            while (true) {
                int ptr = _inputPtr;
                int max = _inputEnd;
                if (ptr >= max) {
                    _loadMoreGuaranteed();
                    ptr = _inputPtr;
                    max = _inputEnd;
                }
                final byte[] buf = _inputBuffer;
                while (ptr <= max - 8) {
                    long special = notPlain((long) WORDS.get(buf, ptr));
                    if (special != 0) {
                        ptr += Long.numberOfTrailingZeros(special) >>> 3;
                        break;
                    }
                    ptr += 8;
                }
                while (ptr < max) {
                    c = buf[ptr++] & 0xFF;
                    if (codes[c] != 0) {
                        _inputPtr = ptr;
                        break plain;
                    }
                }
                _inputPtr = ptr;
            }
            if (c == '"') return;
            switch (codes[c]) {
                case 1 -> escape();   // a backslash
                case 2 -> continuation();
                case 3 -> {
                    continuation();
                    continuation();
                }
                case 4 -> {
                    continuation();
                    continuation();
                    continuation();
                }
                default -> {
                    if (c < ' ') {
                        _throwUnquotedSpace(c, "string value");
                    } else {
                        _reportInvalidChar(c);
                    }
                }
            }
        }
    }

    /**
     * Skips the escape after a backslash. The common ones, whole in the buffer ({@code \n}, {@code \"},
     * a u-escape …: every message's text has them), are checked here without decoding; anything
     * else, or an escape cut by the buffer's end, goes to Jackson's own decoding, with its errors.
     */
    private void escape() throws IOException {
        int ptr = _inputPtr;
        if (ptr + 5 <= _inputEnd) {
            byte[] buf = _inputBuffer;
            int e = buf[ptr];
            if (e == 'n' || e == '"' || e == '\\' || e == 't' || e == 'r' || e == '/' || e == 'b' || e == 'f') {
                _inputPtr = ptr + 1;
                return;
            }
            if (e == 'u' && HEX[buf[ptr + 1] & 0xFF] && HEX[buf[ptr + 2] & 0xFF] && HEX[buf[ptr + 3] & 0xFF] && HEX[buf[ptr + 4] & 0xFF]) {
                _inputPtr = ptr + 5;
                return;
            }
        }
        _decodeEscaped();
    }

    /** One continuation byte of a multi-byte UTF-8 sequence, checked as Jackson's own skip checks it. */
    private void continuation() throws IOException {
        if (_inputPtr >= _inputEnd) _loadMoreGuaranteed();
        int d = _inputBuffer[_inputPtr++];
        if ((d & 0xC0) != 0x80) _reportInvalidOther(d & 0xFF, _inputPtr);
    }
}
