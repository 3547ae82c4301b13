package org.pgbackfill.verify;

/**
 * Values as a mismatch report shows them: quoted, control characters escaped, cut to a length a
 * terminal line can hold (a 30 MB {@code sources} value must not flood the output).
 */
final class Shown {
    static final int MAX_CHARS = 80;

    private Shown() { }

    /** {@code 'text'} shortened and escaped; {@code NULL} for Java null (SQL NULL). */
    static String quoted(String s) {
        if (s == null) return "NULL";
        return "'" + shorten(s) + "'";
    }

    /** JSON text as is (it quotes its own strings), shortened and escaped; {@code SQL NULL} for Java null. */
    static String json(String s) {
        return s == null ? "SQL NULL" : shorten(s);
    }

    static String shorten(String s) {
        StringBuilder b = new StringBuilder();
        int n = Math.min(s.length(), MAX_CHARS);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !validPair(s, i)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > n) b.append("…(").append(s.length()).append(" chars)");
        return b.toString();
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
