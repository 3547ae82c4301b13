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
     * Python's {@code float(s)} for a str (see {@link PythonFloatText}). Returns NaN when Python would
     * raise (callers treat NaN and infinities alike: the timestamp falls back to "now").
     */
    static double parseFloat(String s) {
        return PythonFloatText.parse(s);
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
