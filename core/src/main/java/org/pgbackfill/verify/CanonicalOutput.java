package org.pgbackfill.verify;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A growable byte buffer holding canonical values ({@link CanonicalJson} documents the tags), so
 * that equal content is equal bytes and a row can be hashed in one pass. Reused row after row.
 */
public final class CanonicalOutput {
    private byte[] buf = new byte[4096];
    private int len;

    public int length() { return len; }

    public void reset() { len = 0; }

    void truncate(int length) { len = length; }

    public void put(char asciiTag) {
        ensure(1);
        buf[len++] = (byte) asciiTag;
    }

    void put(byte[] b, int off, int n) {
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    /** A string: its length in UTF-16 units, then each unit (ASCII as one byte, others as 0xFF and two bytes). */
    public void string(String s) {
        int n = s.length();
        ensure(6 + n);
        buf[len++] = 's';
        varint(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) buf[len++] = (byte) c; else wide(c, n - i);
        }
    }

    void string(char[] chars, int off, int n) {
        ensure(6 + n);
        buf[len++] = 's';
        varint(n);
        byte[] b = buf;
        int at = len;
        for (int i = off, end = off + n; i < end; i++) {
            char c = chars[i];
            if (c < 0x80) {
                b[at++] = (byte) c;
            } else {
                len = at;
                wide(c, end - i);
                b = buf;
                at = len;
            }
        }
        len = at;
    }

    /** An integer from its canonical decimal text (no leading zeros, no "-0"). */
    void integer(String decimal) {
        ensure(decimal.length() + 2);
        buf[len++] = 'i';
        for (int i = 0; i < decimal.length(); i++) buf[len++] = (byte) decimal.charAt(i);
        buf[len++] = ';';
    }

    /** A float, by its IEEE bits (-0.0 stays distinct from 0.0, as Python prints it). */
    void real(double d) {
        ensure(9);
        buf[len++] = 'd';
        long bits = Double.doubleToLongBits(d);
        for (int shift = 56; shift >= 0; shift -= 8) buf[len++] = (byte) (bits >>> shift);
    }

    public void int64(long v) {
        integer(Long.toString(v));
    }

    public void digestInto(MessageDigest digest) {
        digest.update(buf, 0, len);
    }

    public byte[] toByteArray() { return Arrays.copyOf(buf, len); }

    byte[] copy(int from, int to) { return Arrays.copyOfRange(buf, from, to); }

    /** A UTF-16 unit outside ASCII, as 0xFF and its two bytes; room for {@code remaining} one-byte units was reserved. */
    private void wide(char c, int remaining) {
        ensure(remaining + 2);
        buf[len++] = (byte) 0xFF;
        buf[len++] = (byte) (c >>> 8);
        buf[len++] = (byte) c;
    }

    private void varint(int v) {
        while ((v & ~0x7F) != 0) {
            buf[len++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            long want = Math.max((long) buf.length * 2, (long) len + more);
            if (want > Integer.MAX_VALUE - 16) throw new OutOfMemoryError("canonical value over 2 GB");
            buf = Arrays.copyOf(buf, (int) want);
        }
    }
}
