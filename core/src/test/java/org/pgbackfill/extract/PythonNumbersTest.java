package org.pgbackfill.extract;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PythonNumbersTest {

    @ParameterizedTest(name = "float(\"{0}\") = {1}")
    @CsvSource(delimiter = '|', value = {
        "1700000000|1.7E9",
        "' 1.7e9 '|1.7E9",
        "1_700_000_000|1.7E9",
        "+1700000000.9|1.7000000009E9",
        "-5|-5",
        ".5|0.5",
        "5.|5",
        "1e3|1000",
        "1E+3|1000",
        "'\t42\n'|42",
        "'\u00a042\u3000'|42",
        "١٧٠٠٠٠٠٠٠٠|1.7E9",
        "inf|Infinity",
        "-Infinity|-Infinity",
        "NaN|NaN",
    })
    void parsesWhatPythonFloatAccepts(String text, String expected) {
        assertEquals(Double.parseDouble(expected), PythonNumbers.parseFloat(text));
    }

    @ParameterizedTest(name = "float(\"{0}\") raises")
    @CsvSource(delimiter = '|', value = {"abc", "1__7", "_17", "17_", "1_.5", "1._5", "''", "' '", "1e", "e5", ".", "0x10", "1,5", "1e5_", "--1", "infx"})
    void rejectsWhatPythonFloatRejects(String text) {
        assertTrue(Double.isNaN(PythonNumbers.parseFloat(text)), text);
    }

    @ParameterizedTest(name = "{0} in a TEXT column is ''{1}''")
    @CsvSource(delimiter = '|', value = {
        "7|true|7",
        "-0|true|0",
        "12345678901234567890123|true|12345678901234567890123",
        "1.5|false|1.5",
        "1.0|false|1.0",
        "1.50|false|1.5",
        "100.0|false|100.0",
        "1E2|false|100.0",
        "1e20|false|100000000000000000000",
        "1.5e16|false|15000000000000000",
        "1e16|false|10000000000000000",
        "9999999999999998.0|false|9999999999999998.0",
        "1e-7|false|0.0000001",
        "1.5e-5|false|0.000015",
        "0.0001|false|0.0001",
        "0.1|false|0.1",
        "-0.0|false|0.0",
        "0.0|false|0.0",
        "1.23456789012345678|false|1.2345678901234567",
        "1e400|false|Infinity",
        "-1e400|false|-Infinity",
    })
    void rendersNumbersAsPostgresStoresPythonsRepr(String json, boolean integer, String expected) {
        assertEquals(expected, PythonNumbers.numberAsText(json, integer));
    }

    /**
     * float()'s own whitespace and digits (each checked with python3 3.11): str.isspace() is true for
     * U+001C–U+001F but float() does not strip them; U+00A0, U+0085, U+2028 and \\v, \\f are stripped;
     * every Unicode decimal digit of Unicode 14 counts, including those outside the BMP (surrogate pairs).
     */
    @org.junit.jupiter.api.Test
    void pythonFloatWhitespaceAndUnicodeDigits() {
        java.util.Map<String, Double> ok = java.util.Map.ofEntries(
            java.util.Map.entry("\u000b1\u000c", 1.0), java.util.Map.entry("\u00851", 1.0), java.util.Map.entry("\u00a01", 1.0),
            java.util.Map.entry("\u20281", 1.0), java.util.Map.entry("\ud835\udfcf\ud835\udfd0", 12.0),     // mathematical bold 1 2
            java.util.Map.entry("\ud81a\udec1", 1.0),                                                   // Tangsa digit one (Unicode 14)
            java.util.Map.entry("1_\ud835\udfce", 10.0), java.util.Map.entry("\uff11\uff12", 12.0),
            java.util.Map.entry("\u0661.\u0665e\u0662", 150.0), java.util.Map.entry("\u0085\u3000 1_0 \t", 10.0),
            java.util.Map.entry("INFINITY", Double.POSITIVE_INFINITY));
        ok.forEach((text, value) -> assertEquals(value, PythonNumbers.parseFloat(text), text));
        for (String bad : new String[] {"\u001c1\u001c", "\u001f1", "1\u001e", "\u180e1", "1\u200b", "1\ud800", "1\u0000", "\u00b2"}) {
            assertTrue(Double.isNaN(PythonNumbers.parseFloat(bad)), bad);
        }
    }

    /**
     * The subnormals whose repr() has one digit (5e-324, not Java's 4.9E-324), as PostgreSQL 15 prints
     * them once parsed as numeric ({@code SELECT 5e-324::numeric::text}: "0." and 324 decimals).
     */
    @org.junit.jupiter.api.Test
    void subnormalsFollowPythonsRepr() {
        String[][] cases = {{"5e-324", "5", "324"}, {"4.9e-324", "5", "324"}, {"4.9406564584124654e-324", "5", "324"},
            {"1e-323", "1", "323"}, {"5e-323", "5", "323"}, {"6e-323", "6", "323"}, {"7e-323", "7", "323"},
            {"8e-323", "8", "323"}, {"9e-323", "9", "323"}, {"1e-322", "1", "322"}, {"1.5e-323", "15", "324"}};
        for (String[] c : cases) {
            int scale = Integer.parseInt(c[2]);
            String expected = "0." + "0".repeat(scale - c[1].length()) + c[1];
            assertEquals(expected, PythonNumbers.numberAsText(c[0], false), c[0]);
        }
        assertEquals("-0." + "0".repeat(323) + "5", PythonNumbers.numberAsText("-5e-324", false));
    }
}
