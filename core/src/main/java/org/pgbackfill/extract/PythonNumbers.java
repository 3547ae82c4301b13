package org.pgbackfill.extract;

import com.fasterxml.jackson.core.io.NumberOutput;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

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
        BigDecimal shortest = shortestRepr(d);
        int exponent = shortest.precision() - shortest.scale() - 1;   // of the leading digit
        boolean plain = exponent >= -4 && exponent < 16;            // repr() switches to 1e+16 style outside
        // repr() prints "100.0" in plain style (one fraction digit at least); in e-style numeric keeps
        // just the digits the literal had.
        int scale = plain ? Math.max(1, shortest.scale()) : Math.max(0, shortest.scale());
        return shortest.setScale(scale).toPlainString();
    }

    /**
     * The digits Python's {@code repr()} prints: the shortest decimal that reads back as {@code d},
     * the nearest to it when several are that short. Schubfach (Jackson's and Java's toString) is
     * the shortest too, except that it never prints fewer than two digits: for the subnormals 5e-324,
     * 1e-323, 5e-323 … 9e-323 and 1e-322 it says 4.9E-324, 9.9E-324 …, where repr says one digit.
     */
    static BigDecimal shortestRepr(double d) {
        BigDecimal schubfach = new BigDecimal(NumberOutput.toString(d, true)).stripTrailingZeros();
        if (schubfach.precision() == 2) {
            BigDecimal exact = new BigDecimal(d);
            BigDecimal down = exact.round(new MathContext(1, RoundingMode.FLOOR));
            BigDecimal up = exact.round(new MathContext(1, RoundingMode.CEILING));
            boolean downOk = down.doubleValue() == d, upOk = up.doubleValue() == d;
            if (downOk && upOk) {
                return exact.subtract(down).abs().compareTo(up.subtract(exact).abs()) <= 0 ? down : up;
            }
            if (downOk) return down;
            if (upOk) return up;
        }
        return schubfach;
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
