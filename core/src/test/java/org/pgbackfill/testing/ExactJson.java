package org.pgbackfill.testing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The one JSON mapper of the test side, and JSON equality as SPEC.md means it.
 *
 * <p>Numbers are kept exactly as written: integer literals become integral nodes, literals with a
 * fraction or an exponent become {@code BigDecimal} nodes with their scale untouched ({@code 1.0}
 * stays {@code 1.0}, {@code 1.10} stays {@code 1.10}). No size or depth limit applies: real
 * documents reach tens of MB. Duplicate keys keep the last value at the first key's position, as
 * Python's {@code json.loads} builds its dicts.
 *
 * <p>Jackson's own {@code JsonNode.equals} is not usable as SPEC equality: it ignores key order
 * and compares {@code BigDecimal}s numerically. {@link #equal} is strict on both.
 */
public final class ExactJson {
    private static final StreamReadConstraints UNLIMITED = StreamReadConstraints.builder()
        .maxStringLength(Integer.MAX_VALUE)
        .maxNestingDepth(Integer.MAX_VALUE)
        .maxNumberLength(Integer.MAX_VALUE)
        .maxNameLength(Integer.MAX_VALUE)
        .maxDocumentLength(-1)
        .build();

    /** Strict RFC 8259 JSON, as PostgreSQL's {@code json} type accepts it. */
    public static final ObjectMapper MAPPER = mapper(false);

    /**
     * Python's {@code json.loads} additionally accepts the literals {@code NaN}, {@code Infinity}
     * and {@code -Infinity}; only used for the inner text of double-encoded documents (the outer
     * text went through PostgreSQL, which refuses them).
     */
    private static final ObjectMapper PYTHON_MAPPER = mapper(true);

    /** Writes compact JSON, escaping everything outside ASCII so lone surrogates survive JDBC's UTF-8 encoding. */
    private static final ObjectMapper ASCII_WRITER = JsonMapper.builder()
        .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
        .build();

    private ExactJson() {}

    private static ObjectMapper mapper(boolean pythonLiterals) {
        JsonFactory factory = JsonFactory.builder().streamReadConstraints(UNLIMITED).build();
        JsonMapper.Builder b = JsonMapper.builder(factory)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES); // what withExactBigDecimals(true) was
        if (pythonLiterals) b.enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS);
        return b.build();
    }

    /** Parses strict JSON; empty input is an error (Jackson would return a MissingNode). */
    public static JsonNode parse(String text) throws JsonProcessingException {
        JsonNode n = MAPPER.readTree(text);
        if (n == null || n.isMissingNode()) throw new JsonParseError("no JSON value in input");
        return n;
    }

    /**
     * Parses like Python's {@code json.loads(str)}: strict JSON plus {@code NaN}, {@code Infinity}
     * and {@code -Infinity}. Jackson's non-numeric feature also takes {@code +Infinity},
     * {@code -INF} and {@code +INF}, which Python refuses, so a first streaming pass rejects those.
     * A leading BOM is an error in both.
     */
    public static JsonNode parsePython(String text) throws JsonProcessingException {
        try (JsonParser p = PYTHON_MAPPER.createParser(text)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.VALUE_NUMBER_FLOAT && p.isNaN()
                        && !Set.of("NaN", "Infinity", "-Infinity").contains(p.getText())) {
                    throw new JsonParseError("'" + p.getText() + "' is not a literal Python's json module accepts");
                }
            }
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        JsonNode n = PYTHON_MAPPER.readTree(text);
        if (n == null || n.isMissingNode()) throw new JsonParseError("no JSON value in input");
        return n;
    }

    /** The mapper of {@link #parsePython}, for token-level checks of the same text. */
    static ObjectMapper pythonMapper() {
        return PYTHON_MAPPER;
    }

    /** Compact JSON text, non-ASCII escaped (safe to send as a JDBC string into a {@code json} column). */
    public static String toAsciiJson(JsonNode node) {
        try {
            return ASCII_WRITER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** JSON text of a Java string (quotes and escapes added), for building double-encoded documents. */
    public static String quote(String s) {
        try {
            return ASCII_WRITER.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SPEC equality: same structure, same key order, same strings, same numbers (exact, literal kind included). */
    public static boolean equal(JsonNode a, JsonNode b) {
        return firstDifference(a, b) == null;
    }

    /**
     * Where {@code actual} first differs from {@code expected}, as {@code $.path: expected … but was …};
     * null when they are equal. Java null stands for SQL NULL.
     */
    public static String firstDifference(JsonNode expected, JsonNode actual) {
        return diff("$", expected, actual);
    }

    private static String diff(String path, JsonNode e, JsonNode a) {
        if (e == null || a == null) {
            return e == a ? null : mismatch(path, e, a);
        }
        if (e.getNodeType() != a.getNodeType()) return mismatch(path, e, a);
        switch (e.getNodeType()) {
            case OBJECT: {
                if (e.size() != a.size()) return path + ": expected " + e.size() + " keys " + keys(e) + " but was " + a.size() + " " + keys(a);
                Iterator<Map.Entry<String, JsonNode>> ei = e.properties().iterator(), ai = a.properties().iterator();
                while (ei.hasNext()) {
                    Map.Entry<String, JsonNode> ee = ei.next(), ae = ai.next();
                    if (!ee.getKey().equals(ae.getKey())) {
                        return path + ": expected keys in order " + keys(e) + " but was " + keys(a);
                    }
                    String d = diff(path + "." + ee.getKey(), ee.getValue(), ae.getValue());
                    if (d != null) return d;
                }
                return null;
            }
            case ARRAY: {
                if (e.size() != a.size()) return path + ": expected " + e.size() + " elements but was " + a.size();
                for (int i = 0; i < e.size(); i++) {
                    String d = diff(path + "[" + i + "]", e.get(i), a.get(i));
                    if (d != null) return d;
                }
                return null;
            }
            case NUMBER:
                return numbersEqual(e, a) ? null : mismatch(path, e, a);
            default:
                return e.equals(a) ? null : mismatch(path, e, a);
        }
    }

    // Integer literals and float literals are different values for Python (1 vs 1.0), and the
    // production code keeps the source text, so BigDecimal.equals (scale-sensitive) is the right test.
    private static boolean numbersEqual(JsonNode e, JsonNode a) {
        if (e.isIntegralNumber() != a.isIntegralNumber()) return false;
        if (e.isIntegralNumber()) return e.bigIntegerValue().equals(a.bigIntegerValue());
        if (e.isBigDecimal() && a.isBigDecimal()) return e.decimalValue().equals(a.decimalValue());
        if (e.isBigDecimal() || a.isBigDecimal()) return false; // NaN/Infinity (Python literals) vs a decimal
        return Double.compare(e.doubleValue(), a.doubleValue()) == 0;
    }

    private static String keys(JsonNode o) {
        StringBuilder sb = new StringBuilder("[");
        Iterator<String> it = o.fieldNames();
        int n = 0;
        while (it.hasNext() && n++ < 10) sb.append(n > 1 ? ", " : "").append(it.next());
        if (it.hasNext()) sb.append(", …");
        return sb.append(']').toString();
    }

    private static String mismatch(String path, JsonNode e, JsonNode a) {
        return path + ": expected " + brief(e, 120) + " but was " + brief(a, 120);
    }

    /** Compact ASCII JSON text cut to {@code max} characters; {@code SQL NULL} for Java null. */
    public static String brief(JsonNode n, int max) {
        if (n == null) return "SQL NULL";
        String s = toAsciiJson(n);
        return s.length() <= max ? s : s.substring(0, max) + "…(" + s.length() + " chars)";
    }

    /** A JSON syntax error found by our own checks rather than by Jackson. */
    static final class JsonParseError extends JsonProcessingException {
        private static final long serialVersionUID = 1L;

        JsonParseError(String message) { super(message); }
    }
}
