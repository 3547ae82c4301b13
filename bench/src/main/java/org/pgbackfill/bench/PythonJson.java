package org.pgbackfill.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigDecimal;

/**
 * Python's view of a document, as upstream's migration ({@link CurrentMessageBaseline}) sees it: json.loads, truthiness,
 * dict keys, {@code x or 0} and {@code >}; where Python raises, {@link CurrentMessageBaseline.Aborted}.
 */
final class PythonJson {
    private PythonJson() { }

    static final ObjectMapper MAPPER = new ObjectMapper(pythonLikeFactory());

    /** json.loads: no limits on sizes or nesting here (Python's recursion limit is not modelled), NaN and Infinity accepted. */
    static JsonFactory pythonLikeFactory() {
        JsonFactoryBuilder b = new JsonFactoryBuilder();
        b.enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS);
        b.streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).maxNumberLength(Integer.MAX_VALUE)
            .maxNameLength(Integer.MAX_VALUE).maxNestingDepth(Integer.MAX_VALUE).maxDocumentLength(-1).maxTokenCount(-1).build());
        return b.build();
    }

    /** A message id as a dict key: a str as itself, anything else by its JSON text (so {@code "5"} and {@code 5} differ). */
    record NonStr(String json) { }

    static JsonNode parse(String text) {
        try {
            JsonNode n = MAPPER.readTree(text);
            if (n == null) throw new CurrentMessageBaseline.Aborted("an empty document");
            return n;
        } catch (IOException e) {
            throw new CurrentMessageBaseline.Aborted("json.loads failed: " + e.getMessage());
        }
    }

    static boolean truthy(JsonNode v) {
        if (v == null || v.isNull()) return false;
        if (v.isTextual()) return !v.textValue().isEmpty();
        if (v.isBoolean()) return v.booleanValue();
        if (v.isNumber()) return v.decimalValue().signum() != 0 || (v.isFloatingPointNumber() && Double.isNaN(v.doubleValue()));
        return v.size() > 0;
    }

    /** A dict key: unhashable containers abort, as Python's TypeError does. */
    static Object key(JsonNode v) {
        if (v.isContainerNode()) throw new CurrentMessageBaseline.Aborted("unhashable type: '" + (v.isArray() ? "list" : "dict") + "'");
        return v.isTextual() ? v.textValue() : new NonStr(v.toString());
    }

    /** A parentId as a key; a container is kept as a marker that aborts when it is looked up. */
    static Object parentKey(JsonNode v) {
        return v.isContainerNode() ? v : key(v);
    }

    /** {@code timestamp or 0} (a missing key is 0): a number, a string, or 0. */
    static Object time(JsonNode v) {
        if (!truthy(v)) return BigDecimal.ZERO;
        if (v.isNumber()) return v.isFloatingPointNumber() && !Double.isFinite(v.doubleValue()) ? v.doubleValue() : v.decimalValue();
        if (v.isBoolean()) return BigDecimal.ONE;
        if (v.isTextual()) return v.textValue();
        return v;                                           // a non-empty list or dict: compared, it aborts
    }

    /** Python's {@code a > b} for the times met here. */
    static boolean greater(Object a, Object b) {
        if (a instanceof BigDecimal x && b instanceof BigDecimal y) return x.compareTo(y) > 0;
        if (a instanceof String x && b instanceof String y) return x.compareTo(y) > 0;   // both BMP in practice: code point order
        if ((a instanceof Double || a instanceof BigDecimal) && (b instanceof Double || b instanceof BigDecimal)) {
            return ((Number) a).doubleValue() > ((Number) b).doubleValue();
        }
        throw new CurrentMessageBaseline.Aborted("'>' not supported between " + a.getClass().getSimpleName() + " and " + b.getClass().getSimpleName());
    }
}
