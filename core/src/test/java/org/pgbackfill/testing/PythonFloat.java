package org.pgbackfill.testing;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.OptionalDouble;
import java.util.regex.Pattern;

/**
 * The two bits of CPython float behaviour the upstream migration depends on: {@code float(str)}
 * (timestamps given as strings) and {@code repr(float)} as psycopg2 sends it to PostgreSQL, which
 * parses it as a {@code numeric} constant and prints that into a TEXT column.
 */
final class PythonFloat {
    // What PyOS_string_to_double accepts once whitespace is stripped and underscores removed.
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern SPECIAL = Pattern.compile("(?i)[+-]?(inf|infinity|nan)");

    private PythonFloat() {}

    /**
     * {@code float(s)} for a Python str; empty when Python raises ValueError. Mirrors
     * {@code PyFloat_FromString}: Unicode decimal digits become ASCII digits and Unicode
     * whitespace becomes a space; surrounding whitespace is stripped; an underscore must sit
     * between two ASCII digits; then the C-level grammar (no hex, {@code "1."} and {@code ".5"} fine).
     */
    static OptionalDouble parse(String s) {
        StringBuilder ascii = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp < 127) ascii.append((char) cp);
            else if (isPythonSpace(cp)) ascii.append(' ');
            else if (Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER) ascii.append((char) ('0' + Character.digit(cp, 10)));
            else if (cp >= 0x16AC0 && cp <= 0x16AC9) ascii.append((char) ('0' + cp - 0x16AC0)); // Tangsa: Unicode 14 (Python 3.11), not in Java 17's 13
            else ascii.append('?');
        }
        String t = stripAsciiSpace(ascii.toString());
        String noUnderscores = removeUnderscores(t);
        if (noUnderscores == null) return OptionalDouble.empty();
        if (SPECIAL.matcher(noUnderscores).matches()) {
            String lower = noUnderscores.toLowerCase();
            if (lower.endsWith("nan")) return OptionalDouble.of(Double.NaN);
            return OptionalDouble.of(lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        }
        if (!DECIMAL.matcher(noUnderscores).matches()) return OptionalDouble.empty();
        return OptionalDouble.of(Double.parseDouble(noUnderscores)); // correctly rounded, like CPython's dtoa
    }

    // Py_ISSPACE: the C-locale isspace set (0x1c-0x1f are not in it, although str.isspace() says so).
    private static String stripAsciiSpace(String s) {
        int b = 0, e = s.length();
        while (b < e && " \t\n\u000b\f\r".indexOf(s.charAt(b)) >= 0) b++;
        while (e > b && " \t\n\u000b\f\r".indexOf(s.charAt(e - 1)) >= 0) e--;
        return s.substring(b, e);
    }

    // Non-ASCII code points for which Python's str.isspace() is true.
    private static boolean isPythonSpace(int cp) {
        return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a)
            || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
    }

    // _Py_string_to_number_with_underscores: '_' only after a digit and before a digit.
    private static String removeUnderscores(String s) {
        if (s.indexOf('_') < 0) return s;
        StringBuilder out = new StringBuilder(s.length());
        char prev = '\0';
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '_') {
                if (!isAsciiDigit(prev)) return null;
            } else {
                if (prev == '_' && !isAsciiDigit(c)) return null;
                out.append(c);
            }
            prev = c;
        }
        return prev == '_' ? null : out.toString();
    }

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * What PostgreSQL stores in a TEXT column when psycopg2 sends a Python float: psycopg2 writes
     * {@code repr(f)} into the SQL ({@code 'Infinity'::float} / {@code 'NaN'::float} for the
     * non-finite ones), PostgreSQL reads the literal as {@code numeric} and prints it back in
     * plain notation with the literal's display scale: {@code 1e+20} → {@code 100000000000000000000},
     * {@code 1e-07} → {@code 0.0000001}, {@code 100.0} → {@code 100.0}, {@code -0.0} → {@code 0.0}.
     */
    static String postgresTextOfRepr(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return "0.0"; // numeric has no negative zero
        BigDecimal digits = shortestRoundTrip(d).stripTrailingZeros();
        int n = digits.precision();
        int decpt = n - digits.scale();              // d = 0.DIGITS × 10^decpt, as _Py_dg_dtoa reports it
        boolean exponentForm = decpt <= -4 || decpt > 16; // float_repr_style 'short', format code 'r'
        // Fixed form always shows a fractional digit ("100.0"); the exponent form's numeric scale
        // is the mantissa's fraction digits minus the exponent, never below zero.
        int scale = Math.max(exponentForm ? 0 : 1, n - decpt);
        return digits.setScale(scale, RoundingMode.UNNECESSARY).toPlainString();
    }

    /**
     * The shortest decimal that reads back as {@code d} (what repr prints). Rounding the exact
     * binary value half-even to p digits gives the nearest p-digit decimal, so the first p that
     * round-trips is the shortest. (At exact powers of two the interval is lopsided and, in theory,
     * a farther p-digit candidate could round-trip where the nearest does not; no test value is one.)
     */
    private static BigDecimal shortestRoundTrip(double d) {
        BigDecimal exact = new BigDecimal(d);
        for (int p = 1; p <= 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == d) return r;
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN));
    }
}
