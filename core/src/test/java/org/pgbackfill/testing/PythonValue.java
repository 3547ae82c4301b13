package org.pgbackfill.testing;

import com.fasterxml.jackson.databind.JsonNode;

/** How a parsed JSON value looks to Python once {@code json.loads} has built it. */
final class PythonValue {
    private PythonValue() {}

    /**
     * Python truthiness: None, False, 0, 0.0, "", [] and {} are false. A float literal is a Python
     * float, so {@code 1e-400} (which underflows to 0.0) is false too, and NaN is true.
     */
    static boolean truthy(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) return false;
        if (v.isBoolean()) return v.booleanValue();
        if (v.isIntegralNumber()) return v.bigIntegerValue().signum() != 0;
        if (v.isNumber()) return floatValue(v) != 0.0;
        if (v.isTextual()) return !v.textValue().isEmpty();
        return v.size() > 0; // array or object
    }

    /**
     * The Python float a non-integer JSON number literal becomes: the nearest double, infinite
     * beyond the range. (DoubleNodes only come from NaN/Infinity literals of double-encoded documents.)
     */
    static double floatValue(JsonNode v) {
        return v.isBigDecimal() ? v.decimalValue().doubleValue() : v.doubleValue();
    }
}
