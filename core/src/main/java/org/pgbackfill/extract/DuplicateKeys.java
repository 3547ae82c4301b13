package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites a JSON value that has repeated keys the way Python's {@code json.loads} then
 * {@code json.dumps} would: the last value wins, at the position of the first occurrence.
 * Real documents never have repeated keys, so this slow path (a small tree of the one value)
 * is taken only when {@link JsonWriter} saw one.
 */
final class DuplicateKeys {
    private DuplicateKeys() { }

    /** A scalar kept as its token and text, so numbers keep their source text. */
    private record Scalar(JsonToken token, String text) { }

    /**
     * Writes the value with its duplicates resolved; returns what {@link JsonWriter#copyValue} would
     * have flagged in the resolved value ({@link JsonWriter#NUMBER_OUT_OF_RANGE}, {@link JsonWriter#TOO_DEEP}):
     * an overwritten value is gone before anything is judged, as in Python.
     */
    static int rewrite(JsonFactory factory, byte[] src, int start, int end, JsonWriter out) throws IOException {
        try (JsonParser p = factory.createParser(src, start, end - start)) {
            p.nextToken();
            return write(read(p), out, 0);
        }
    }

    private static Object read(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT) {
            Map<String, Object> map = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                map.put(name, read(p));   // LinkedHashMap.put keeps the first position, like a dict
            }
            return map;
        }
        if (t == JsonToken.START_ARRAY) {
            List<Object> list = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) list.add(read(p));
            return list;
        }
        return new Scalar(t, t == JsonToken.VALUE_STRING || t.isNumeric() ? p.getText() : null);
    }

    /** Recursive: the value was read by a parser that refuses nesting beyond Python's limit (about a thousand levels). */
    @SuppressWarnings("unchecked")
    private static int write(Object node, JsonWriter out, int depth) {
        int flags = 0;
        if (node instanceof Map<?, ?> || node instanceof List<?>) {
            if (depth + 1 > PythonJson.MAX_WRITE_NESTING) flags |= JsonWriter.TOO_DEEP;
        }
        if (node instanceof Map<?, ?> map) {
            out.put((byte) '{');
            boolean first = true;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) map).entrySet()) {
                if (!first) out.put((byte) ',');
                first = false;
                out.writeString(e.getKey());
                out.put((byte) ':');
                flags |= write(e.getValue(), out, depth + 1);
            }
            out.put((byte) '}');
        } else if (node instanceof List<?> list) {
            out.put((byte) '[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) out.put((byte) ',');
                flags |= write(list.get(i), out, depth + 1);
            }
            out.put((byte) ']');
        } else {
            Scalar s = (Scalar) node;
            switch (s.token()) {
                case VALUE_STRING -> out.writeString(s.text());
                case VALUE_NUMBER_INT -> out.putAscii(s.text());
                case VALUE_NUMBER_FLOAT -> {
                    out.putAscii(s.text());
                    if (PythonNumbers.notWritable(s.text())) flags |= JsonWriter.NUMBER_OUT_OF_RANGE;
                }
                case VALUE_TRUE -> out.putAscii("true");
                case VALUE_FALSE -> out.putAscii("false");
                default -> out.putAscii("null");
            }
        }
        return flags;
    }
}
