package org.pgbackfill.verify;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Content equality of JSON as pgbackfill and Open WebUI's Python migration write it, and nothing looser. */
class CanonicalJsonTest {
    private final CanonicalJson json = new CanonicalJson();

    private boolean same(String a, String b) throws IOException {
        return java.util.Arrays.equals(json.of(a), json.of(b));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"a\":1,\"b\":[true,false,null]}           | {\"a\": 1, \"b\": [true, false, null]}",
        "{\"s\":\"café ☕ 😀\"}                        | {\"s\": \"caf\\u00e9 \\u2615 \\ud83d\\ude00\"}",
        "\"\\u0000 nul\"                            | \"\\u0000 \\u006eul\"",
        "\"\\ud800 lone\"                           | \"\\uD800 lone\"",
        "\"tab\\tquote\\\"slash\\/\"                  | \"tab\\u0009quote\\u0022slash/\"",
        "1e2                                       | 100.0",
        "1E+2                                      | 100.00",
        "0.1                                       | 0.1000000000000000055511151231257827",
        "1.5e300                                   | 1.5e+300",
        "1e-400                                    | 0.0",
        "-0                                        | 0",
        "12345678901234567890123456789             | 12345678901234567890123456789",
        "{\"x\":1,\"y\":2,\"x\":3}                    | {\"x\": 3, \"y\": 2}",
        "{\"o\":{\"a\":1,\"a\":{\"b\":1,\"b\":2}},\"o2\":[{\"k\":1,\"k\":2}]} | {\"o\":{\"a\":{\"b\":2}},\"o2\":[{\"k\":2}]}",
        "  [ ]                                     | []",
    })
    void equalContent(String a, String b) throws IOException {
        assertArrayEquals(json.of(a), json.of(b));
    }

    @ParameterizedTest(name = "{0} ≠ {1}")
    @CsvSource(delimiter = '|', value = {
        "100                    | 100.0",
        "0.0                    | -0.0",
        "{\"a\":1,\"b\":2}       | {\"b\":2,\"a\":1}",
        "\"\\u0000\"             | \"\"",
        "null                   | \"null\"",
        "[1,[2]]                | [[1],2]",
        "{\"a\":\"b\"}           | [\"a\",\"b\"]",
        "\"1\"                  | 1",
        "true                   | 1",
        "{}                     | []",
        "\"é\"                  | \"e\"",
        "12345678901234567891   | 12345678901234567890",
    })
    void differentContent(String a, String b) throws IOException {
        assertFalse(same(a, b));
    }

    @Test
    void deepNestingNeedsNoStack() throws IOException {
        String deep = "[".repeat(100_000) + "{\"k\":1,\"k\":2}" + "]".repeat(100_000);
        String canonical = "[".repeat(100_000) + "{\"k\":2}" + "]".repeat(100_000);
        assertArrayEquals(json.of(canonical), json.of(deep));
    }

    @Test
    void invalidJsonIsAnError() {
        assertThrows(IOException.class, () -> json.of("{\"a\":"));
        assertThrows(IOException.class, () -> json.of("1 2"));
        assertThrows(IOException.class, () -> json.of(""));
    }

    @Test
    void bytesAndTextGiveTheSameForm() throws IOException {
        String s = "{\"a\": [1, 2.5, \"\\u00e9\u00e9\"], \"b\": {\"c\": null}}";
        byte[] utf8 = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        CanonicalOutput out = new CanonicalOutput();
        json.append(utf8, 0, utf8.length, out);
        assertArrayEquals(json.of(s), out.toByteArray());
        assertEquals(out.length(), out.toByteArray().length);
    }
}
