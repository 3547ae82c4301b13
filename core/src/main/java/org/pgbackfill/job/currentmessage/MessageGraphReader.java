package org.pgbackfill.job.currentmessage;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the two places a document's message graph can come from (SPEC.md 7 step 5), from the parser
 * positioned on them: {@code history.messages}, where every entry is a message, and the top-level
 * {@code messages} array, whose object elements with a truthy id are keyed by that id. Only parents
 * and times are kept, as Python holds them ({@link PyValues}): ids compare as Python's dict keys do,
 * and an unhashable id is what upstream would raise on. {@link DocumentFacts} decides which of the
 * two counts.
 */
final class MessageGraphReader {
    private MessageGraphReader() { }

    /** The elements map of a top-level messages array, and the first unhashable truthy id met. */
    record ListMap(MessageGraph graph, String unhashable) { }

    /** history.messages: every entry is a message; a non-object one has parent None and time 0. */
    static MessageGraph messageMap(JsonParser p) throws IOException {
        MessageGraph g = new MessageGraph();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            Object parent = PyValues.NONE, time = java.math.BigInteger.ZERO;
            if (v == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken w = p.nextToken();
                    if (field.equals("parentId")) parent = parent(p, w);
                    else if (field.equals("timestamp")) time = PyValues.orZero(value(p, w));
                    else p.skipChildren();
                }
            } else {
                p.skipChildren();
            }
            g.put(key, parent, time);
        }
        return g;
    }

    /** The top-level messages array: object elements with a truthy id, keyed by that id. */
    static ListMap list(JsonParser p) throws IOException {
        MessageGraph g = new MessageGraph();
        String unhashable = null;
        for (JsonToken e; (e = p.nextToken()) != JsonToken.END_ARRAY; ) {
            if (e != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            Object id = PyValues.NONE, parent = PyValues.NONE, time = java.math.BigInteger.ZERO;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken w = p.nextToken();
                switch (field) {
                    case "id" -> id = idValue(p, w);
                    case "parentId" -> parent = parent(p, w);
                    case "timestamp" -> time = PyValues.orZero(value(p, w));
                    default -> p.skipChildren();
                }
            }
            if (id instanceof PyValues.Unhashable u) {       // a non-empty list or dict: truthy, unhashable
                if (unhashable == null) unhashable = "a messages element has an id that is a non-empty " + PyValues.typeName(u);
                continue;
            }
            if (!PyValues.truthy(id)) continue;
            g.put(id, parent, time);
        }
        return new ListMap(g, unhashable);
    }

    /** An element's id: a scalar as a Python value; a container as an empty one or an {@link PyValues.Unhashable}. */
    private static Object idValue(JsonParser p, JsonToken t) throws IOException {
        if (!t.isStructStart()) return value(p, t);
        boolean empty = skipNotingEmpty(p);
        if (empty) return t == JsonToken.START_ARRAY ? List.of() : Map.of();
        return t == JsonToken.START_ARRAY ? PyValues.Unhashable.LIST : PyValues.Unhashable.DICT;
    }

    private static Object parent(JsonParser p, JsonToken t) throws IOException {
        if (t.isStructStart()) {
            p.skipChildren();
            return t == JsonToken.START_ARRAY ? PyValues.Unhashable.LIST : PyValues.Unhashable.DICT;
        }
        return PyValues.hashKey(value(p, t));
    }

    private static boolean skipNotingEmpty(JsonParser p) throws IOException {
        JsonToken first = p.nextToken();
        if (first.isStructEnd()) return true;
        if (first.isStructStart()) p.skipChildren();
        int depth = 1;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == null) throw new IOException("unexpected end of the document");
            if (t.isStructStart()) depth++;
            else if (t.isStructEnd()) depth--;
        }
        return false;
    }

    /** The value at the current token as Python holds it (see {@link PyValues}); duplicate keys: last wins, first position. */
    static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    m.put(k, value(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                for (JsonToken e; (e = p.nextToken()) != JsonToken.END_ARRAY; ) l.add(value(p, e));
                return l;
            }
            case VALUE_STRING: return p.getText();
            case VALUE_NUMBER_INT: return p.getBigIntegerValue();
            case VALUE_NUMBER_FLOAT: return p.getDoubleValue();
            case VALUE_TRUE: return Boolean.TRUE;
            case VALUE_FALSE: return Boolean.FALSE;
            case VALUE_NULL: return PyValues.NONE;
            default: throw new IOException("unexpected token " + t);
        }
    }
}
