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
}
