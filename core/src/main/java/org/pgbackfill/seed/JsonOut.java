package org.pgbackfill.seed;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A reusable, growable byte buffer with just enough JSON structure to write chat documents fast.
 *
 * <p>Commas are tracked per nesting level: {@link #key} and {@link #elem} write the separator
 * when the container already has a member. Separators are per document ({@code ", "} / {@code ": "}
 * as Python writes them, compact, or with odd whitespace) so that a document's copies of its own
 * messages, made with {@link #copyWithin}, stay consistent. Strings passed as {@code String} are
 * escaped with {@link TextPool#escape}; bulk text comes pre-escaped from {@link TextPool}.
 */
final class JsonOut {
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] B64 =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    byte[] a;
    int n;
    private boolean[] first = new boolean[64];
    private int depth;
    byte[] comma = {',', ' '};
    byte[] colon = {':', ' '};
    boolean ensureAscii = true;

    JsonOut(int capacity) { a = new byte[capacity]; }

    void reset() {
        n = 0;
        depth = 0;
        first[0] = true;
    }

    int depth() { return depth; }

    void ensure(int extra) {
        if (n + extra > a.length) {
            long want = Math.max((long) a.length * 2, (long) n + extra);
            if (want > Integer.MAX_VALUE - 16) throw new IllegalStateException("document too large: " + want);
            a = Arrays.copyOf(a, (int) want);
        }
    }

    // --- structure -------------------------------------------------------------------------

    void beginObj() { raw((byte) '{'); push(); }
    void endObj() { depth--; raw((byte) '}'); }
    void beginArr() { raw((byte) '['); push(); }
    void endArr() { depth--; raw((byte) ']'); }

    private void push() {
        if (++depth == first.length) first = Arrays.copyOf(first, depth * 2);
        first[depth] = true;
    }

    /** Separator before an array element. */
    void elem() {
        if (first[depth]) first[depth] = false; else raw(comma);
    }

    /** Separator (when needed), the quoted key and the colon. {@code k} must be plain ASCII. */
    void key(String k) {
        elem();
        int len = k.length();
        ensure(len + 2 + colon.length);
        a[n++] = '"';
        for (int i = 0; i < len; i++) a[n++] = (byte) k.charAt(i);
        a[n++] = '"';
        System.arraycopy(colon, 0, a, n, colon.length);
        n += colon.length;
    }

    /** Separator, then a key given as already-escaped bytes (no quotes). */
    void keyRaw(byte[] escaped) {
        elem();
        ensure(escaped.length + 2 + colon.length);
        a[n++] = '"';
        System.arraycopy(escaped, 0, a, n, escaped.length);
        n += escaped.length;
        a[n++] = '"';
        System.arraycopy(colon, 0, a, n, colon.length);
        n += colon.length;
    }

    /** Separator, then the key as a quoted UUID. */
    void keyUuid(long msb, long lsb) {
        elem();
        uuid(msb, lsb);
        raw(colon);
    }

    // --- values ----------------------------------------------------------------------------

    void raw(byte b) {
        if (n == a.length) ensure(1);
        a[n++] = b;
    }

    void raw(byte[] b) { raw(b, 0, b.length); }

    void raw(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, a, n, len);
        n += len;
    }

    /** Plain ASCII with nothing to escape, written as is (no quotes). */
    void ascii(String s) {
        int len = s.length();
        ensure(len);
        for (int i = 0; i < len; i++) a[n++] = (byte) s.charAt(i);
    }

    /** A quoted plain-ASCII string with nothing to escape. */
    void strAscii(String s) {
        ensure(s.length() + 2);
        a[n++] = '"';
        ascii(s);
        a[n++] = '"';
    }

    /** A quoted string, escaped in this document's style. */
    void str(String s) {
        raw((byte) '"');
        raw(TextPool.escape(s, ensureAscii));
        raw((byte) '"');
    }

    void nul() { ascii("null"); }
    void bool(boolean b) { ascii(b ? "true" : "false"); }

    void num(long v) {
        ensure(20);
        if (v < 0) {
            a[n++] = '-';
            v = -v;
        }
        if (v < 10) { a[n++] = (byte) ('0' + v); return; }
        int start = n;
        while (v > 0) {
            a[n++] = (byte) ('0' + v % 10);
            v /= 10;
        }
        for (int i = start, j = n - 1; i < j; i++, j--) {
            byte t = a[i]; a[i] = a[j]; a[j] = t;
        }
    }

    /** {@code v / 10^scale} written with exactly {@code scale} decimals (e.g. 4523, 2 → 45.23). */
    void dec(long v, int scale) {
        long p = 1;
        for (int i = 0; i < scale; i++) p *= 10;
        if (v < 0) { raw((byte) '-'); v = -v; }
        num(v / p);
        raw((byte) '.');
        long frac = v % p;
        ensure(scale);
        for (int i = scale - 1; i >= 0; i--) {
            a[n + i] = (byte) ('0' + frac % 10);
            frac /= 10;
        }
        n += scale;
    }

    /** A quoted, lower-case UUID. */
    void uuid(long msb, long lsb) {
        ensure(38);
        a[n++] = '"';
        uuidBare(msb, lsb);
        a[n++] = '"';
    }

    void uuidBare(long msb, long lsb) {
        ensure(36);
        hex(msb >>> 32, 8); a[n++] = '-';
        hex(msb >>> 16, 4); a[n++] = '-';
        hex(msb, 4); a[n++] = '-';
        hex(lsb >>> 48, 4); a[n++] = '-';
        hex(lsb, 12);
    }

    /** The low {@code digits} hex digits of {@code v}. */
    void hex(long v, int digits) {
        ensure(digits);
        for (int i = digits - 1; i >= 0; i--) {
            a[n + i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
        n += digits;
    }

    /** {@code chars} characters of random base64 (a multiple of 4 is used, with valid padding). */
    void base64(SplittableRandom rng, int chars) {
        chars = Math.max(4, chars & ~3);
        ensure(chars);
        int end = n + chars;
        int pad = rng.nextInt(3);          // 0, 1 or 2 '=' at the end
        int body = end - pad;
        while (n < body) {
            long r = rng.nextLong();
            for (int i = 0; i < 10 && n < body; i++) {
                a[n++] = B64[(int) (r & 63)];
                r >>>= 6;
            }
        }
        while (n < end) a[n++] = '=';
    }

    /** Pre-escaped text from the pool until at least {@code bytes} bytes were written (no quotes). */
    void text(SplittableRandom rng, TextPool pool, int bytes) {
        byte[][] src = ensureAscii ? pool.ascii : pool.utf8;
        int end = n + Math.max(bytes, 1);
        while (n < end) {
            byte[] s = src[rng.nextInt(src.length)];
            ensure(s.length);
            System.arraycopy(s, 0, a, n, s.length);
            n += s.length;
        }
    }

    /** A quoted string of pool text, at least {@code bytes} long. */
    void textStr(SplittableRandom rng, TextPool pool, int bytes) {
        raw((byte) '"');
        text(rng, pool, bytes);
        raw((byte) '"');
    }

    /** Copies {@code [from, to)} of this buffer to its end. */
    void copyWithin(int from, int to) {
        int len = to - from;
        ensure(len);
        System.arraycopy(a, from, a, n, len);
        n += len;
    }

    /** Appends {@code src[from, to)} as the body of a JSON string literal (escapes {@code "}, {@code \} and controls). */
    void escapeFrom(byte[] src, int from, int to) {
        ensure((to - from) + (to - from) / 8 + 16);
        for (int i = from; i < to; i++) {
            byte b = src[i];
            if (b == '"' || b == '\\') {
                ensure(2 + (to - i));
                a[n++] = '\\';
                a[n++] = b;
            } else if (b >= 0 && b < 0x20) {
                ensure(6 + (to - i));
                a[n++] = '\\'; a[n++] = 'u'; a[n++] = '0'; a[n++] = '0';
                a[n++] = HEX[b >> 4]; a[n++] = HEX[b & 0xf];
            } else {
                if (n == a.length) ensure(1 + (to - i));
                a[n++] = b;
            }
        }
    }
}
