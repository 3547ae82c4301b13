package org.pgbackfill.extract;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TimestampRuleTest {
    private static final long NOW = 1_750_000_000L;
    private final TimestampRule rule = new TimestampRule(NOW);

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "1717000000, 1717000000",
        "1717000000.9, 1717000000",          // int() truncates
        "1717000000123, 1717000000",         // milliseconds
        "10000000000, 1750000000",           // not > 1e10: seconds, and far in the future -> now
        "10000000001, 1750000000",           // > 1e10: /1000 = 10000000 -> before 2020 -> now
        "1577836800, 1577836800",            // the earliest kept
        "1577836799, 1750000000",
        "1750086400, 1750086400",            // now + 1 day kept
        "1750086401, 1750000000",
        "1750086400999, 1750086400",         // ms exactly at the upper bound
        "-1717000000, 1750000000",
        "0, 1750000000",
        "1, 1750000000",
        "NaN, 1750000000",
        "Infinity, 1750000000",
        "1e300, 1750000000",
    })
    void normalises(double value, long expected) {
        assertEquals(expected, rule.normalise(value));
    }
}
