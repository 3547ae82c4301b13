package org.pgbackfill.extract;

import com.fasterxml.jackson.core.io.NumberOutput;

import java.math.BigDecimal;

/**
 * The two places where upstream's Python semantics leak into the result and Java's differ:
 * {@code float(str)} (timestamps given as strings) and how a JSON number lands in a TEXT column
 * (psycopg2 sends Python's {@code repr} of the number as a SQL literal, PostgreSQL types it as
 * {@code numeric} and prints it back as text).
 */
final class PythonNumbers {
    private PythonNumbers() { }

    /**
     * Python's {@code float(s)} for a str: surrounding Unicode whitespace, an optional sign, digits
     * with single underscores between them, an optional fraction and exponent, or inf/infinity/nan
     * in any case; non-ASCII decimal digits count as digits. Returns NaN when Python would raise
     * (callers treat NaN and infinities alike: the timestamp falls back to "now").
     */
    static double parseFloat(String s) {
        int start = 0, end = s.length();
        while (start < end && isPythonSpace(s.charAt(start))) start++;
        while (end > start && isPythonSpace(s.charAt(end - 1))) end--;
        if (start == end) return Double.NaN;
        StringBuilder clean = new StringBuilder(end - start);
        int i = start;
        char c0 = s.charAt(i);
        if (c0 == '+' || c0 == '-') { clean.append(c0); i++; }
        String word = s.substring(i, end).toLowerCase(java.util.Locale.ROOT);
        if (word.equals("inf") || word.equals("infinity")) return c0 == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        if (word.equals("nan")) return Double.NaN;
        int intDigits = 0, fracDigits = 0;
        int[] pos = {i};
        intDigits = digitPart(s, pos, end, clean);
        if (intDigits < 0) return Double.NaN;
        if (pos[0] < end && s.charAt(pos[0]) == '.') {
            clean.append('.');
            pos[0]++;
            fracDigits = digitPart(s, pos, end, clean);
            if (fracDigits < 0) return Double.NaN;
        }
        if (intDigits + fracDigits == 0) return Double.NaN;
        if (pos[0] < end && (s.charAt(pos[0]) == 'e' || s.charAt(pos[0]) == 'E')) {
            clean.append('e');
            pos[0]++;
            if (pos[0] < end && (s.charAt(pos[0]) == '+' || s.charAt(pos[0]) == '-')) clean.append(s.charAt(pos[0]++));
            int expDigits = digitPart(s, pos, end, clean);
            if (expDigits <= 0) return Double.NaN;
        }
        if (pos[0] != end) return Double.NaN;
        return Double.parseDouble(clean.toString());
    }

    /** Reads digits with single underscores between them; returns the digit count, or -1 on a misplaced underscore. */
    private static int digitPart(String s, int[] pos, int end, StringBuilder out) {
        int n = 0;
        int i = pos[0];
        while (i < end) {
            char c = s.charAt(i);
            int d = Character.isDigit(c) ? Character.digit(c, 10) : -1;
            if (d >= 0) { out.append((char) ('0' + d)); n++; i++; continue; }
            if (c == '_') {
                if (n == 0 || i + 1 >= end || !Character.isDigit(s.charAt(i + 1))) return -1;
                i++;
                continue;
            }
            break;
        }
        pos[0] = i;
        return n;
    }

    /** Python's {@code str.isspace()} for one char. */
    static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || c == '\u00a0' || c == '\u2007' || c == '\u202f' || c == '\u0085';
    }

    /**
     * The text PostgreSQL stores in a TEXT column when upstream inserts this JSON number:
     * an integer as its digits; a float as the {@code numeric} rendering of Python's
     * {@code repr} ({@code 1.0 → "1.0"}, {@code 1e20 → "100000000000000000000"},
     * {@code 1e-07 → "0.0000001"}); a non-finite float as {@code Infinity}/{@code NaN}.
     */
    static String numberAsText(String jsonNumber, boolean isInteger) {
        if (isInteger) return jsonNumber.equals("-0") ? "0" : jsonNumber;
        double d = Double.parseDouble(jsonNumber);
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return "0.0";
        // Shortest repr that round-trips: the digits Python's repr() prints.
        BigDecimal shortest = new BigDecimal(NumberOutput.toString(d, true)).stripTrailingZeros();
        int exponent = shortest.precision() - shortest.scale() - 1;   // of the leading digit
        boolean plain = exponent >= -4 && exponent < 16;            // repr() switches to 1e+16 style outside
        // repr() prints "100.0" in plain style (one fraction digit at least); in e-style numeric keeps
        // just the digits the literal had.
        int scale = plain ? Math.max(1, shortest.scale()) : Math.max(0, shortest.scale());
        return shortest.setScale(scale).toPlainString();
    }

    /** Whether Python's json module turns this JSON float literal into an infinity (which json.dumps writes as Infinity). */
    static boolean overflowsDouble(String jsonFloat) {
        return (jsonFloat.length() > 15 || jsonFloat.indexOf('e') >= 0 || jsonFloat.indexOf('E') >= 0)
            && Double.isInfinite(Double.parseDouble(jsonFloat));
    }

    /**
     * Whether json.dumps writes this JSON float literal back as something PostgreSQL's json type
     * refuses: a literal beyond the double range (Python reads it as inf, writes Infinity), or one of
     * the literals NaN, Infinity, -Infinity (only possible in a double-encoded document).
     */
    static boolean notWritable(String jsonFloat) {
        char c = jsonFloat.charAt(0);
        if (c == 'N' || c == 'I' || (c == '-' && jsonFloat.length() > 1 && jsonFloat.charAt(1) == 'I')) return true;
        return overflowsDouble(jsonFloat);
    }

    /** Parses a JSON number token's text into a double, as Python's json module would (int → float). */
    static double toDouble(String jsonNumber) {
        return Double.parseDouble(jsonNumber);
    }
}
