package org.pgbackfill.extract;

/**
 * Python 3.11's {@code float(str)}, step by step as CPython does it ({@code PyFloat_FromString}):
 * <ol>
 *   <li>each non-ASCII character that {@code str.isspace()} calls whitespace becomes a space, each
 *       Unicode decimal digit ({@code str.isdecimal()}, Unicode 14.0) its ASCII digit, anything else
 *       non-ASCII makes the string invalid; ASCII is kept as it is;
 *   <li>underscores are removed, each one having to sit between two digits;
 *   <li>the C locale's whitespace (space, \t, \n, \v, \f, \r) is stripped from both ends: so the
 *       ASCII separators U+001C–U+001F, which {@code str.isspace()} accepts, are not whitespace here;
 *   <li>what is left must be a decimal number or inf/infinity/nan, with an optional sign.
 * </ol>
 * Java's {@code Character.isWhitespace}/{@code isDigit} differ on all three counts (U+001C–U+001F,
 * U+00A0, Unicode 13 vs 14 digits, chars vs code points), hence these tables.
 */
final class PythonFloatText {
    private PythonFloatText() { }

    /** The zero of each run of ten Unicode decimal digits outside ASCII, from Python 3.11's unicodedata (14.0.0). */
    private static final int[] DIGIT_ZEROS = {
        0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0,
        0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50,
        0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0,
        0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50,
        0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140,
        0x1E2F0, 0x1E950, 0x1FBF0};

    /** The value of a non-ASCII decimal digit, or -1. */
    static int decimal(int cp) {
        int lo = 0, hi = DIGIT_ZEROS.length - 1;
        while (lo <= hi) {                      // the last zero at or below cp
            int mid = (lo + hi) >>> 1;
            if (DIGIT_ZEROS[mid] <= cp) lo = mid + 1; else hi = mid - 1;
        }
        if (hi < 0) return -1;
        int d = cp - DIGIT_ZEROS[hi];
        return d < 10 ? d : -1;
    }

    /** {@code str.isspace()} for a non-ASCII code point (Python 3.11). */
    static boolean isNonAsciiSpace(int cp) {
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028
            || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** {@code float(s)}; NaN when Python raises (and for "nan"; callers treat both as "no number"). */
    static double parse(String s) {
        String ascii = toAscii(s);
        if (ascii == null) return Double.NaN;
        if (ascii.indexOf('_') >= 0) {
            ascii = withoutUnderscores(ascii);
            if (ascii == null) return Double.NaN;
        }
        int b = 0, e = ascii.length();
        while (b < e && isCSpace(ascii.charAt(b))) b++;
        while (e > b && isCSpace(ascii.charAt(e - 1))) e--;
        return number(ascii.substring(b, e));
    }

    private static String toAscii(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp < 127) {
                out.append((char) cp);
            } else if (isNonAsciiSpace(cp)) {
                out.append(' ');
            } else {
                int d = decimal(cp);
                if (d < 0) return null;
                out.append((char) ('0' + d));
            }
        }
        return out.toString();
    }

    /** Underscores only between two digits ({@code _Py_string_to_number_with_underscores}); null when misplaced. */
    private static String withoutUnderscores(String s) {
        StringBuilder out = new StringBuilder(s.length());
        char prev = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '_') {
                if (!isDigit(prev)) return null;
            } else {
                if (prev == '_' && !isDigit(c)) return null;
                out.append(c);
            }
            prev = c;
        }
        return prev == '_' ? null : out.toString();
    }

    /** {@code PyOS_string_to_double} over the whole text: sign, digits with an optional point, exponent; or inf/nan. */
    private static double number(String t) {
        int i = 0, n = t.length();
        boolean negative = false;
        if (i < n && (t.charAt(i) == '+' || t.charAt(i) == '-')) negative = t.charAt(i++) == '-';
        String word = t.substring(i).toLowerCase(java.util.Locale.ROOT);
        if (word.equals("inf") || word.equals("infinity")) return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        if (word.equals("nan")) return Double.NaN;
        int digits = 0;
        while (i < n && isDigit(t.charAt(i))) { i++; digits++; }
        if (i < n && t.charAt(i) == '.') {
            i++;
            while (i < n && isDigit(t.charAt(i))) { i++; digits++; }
        }
        if (digits == 0) return Double.NaN;
        if (i < n && (t.charAt(i) == 'e' || t.charAt(i) == 'E')) {
            i++;
            if (i < n && (t.charAt(i) == '+' || t.charAt(i) == '-')) i++;
            int exponentDigits = 0;
            while (i < n && isDigit(t.charAt(i))) { i++; exponentDigits++; }
            if (exponentDigits == 0) return Double.NaN;
        }
        if (i != n) return Double.NaN;
        return Double.parseDouble(t);   // correctly rounded, as CPython's dtoa; the grammar above excludes Java's extras
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isCSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }
}
