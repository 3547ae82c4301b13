package org.pgbackfill.extract;

import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.CharTypes;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import com.fasterxml.jackson.core.sym.ByteQuadsCanonicalizer;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
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
 * checked without Jackson's decoding of them.
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

    WordSkippingParser(IOContext ctxt, int features, InputStream in, ObjectCodec codec, ByteQuadsCanonicalizer sym,
                       byte[] buffer, int start, int end, boolean recyclable) {
        super(ctxt, features, in, codec, sym, buffer, start, end, recyclable);
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
