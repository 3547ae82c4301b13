package org.pgbackfill.verify;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JSON compared by content, not by bytes: the same value written by pgbackfill (compact, or the
 * source's own text) and by Open WebUI's Python migration ({@code json.dumps}: {@code ", "}
 * separators, {@code \u00e9} escapes, floats re-printed like {@code 100.0}) must give the same
 * bytes here, and any change of value must not.
 *
 * <p>The canonical form, written to a {@link CanonicalOutput}: whitespace and escaping are gone
 * (strings are their decoded UTF-16 code units, so {@code \u0000} and lone surrogates survive);
 * an integer literal is its exact value ({@code -0} = {@code 0}, 400 digits stay 400 digits); a
 * literal with a fraction or an exponent is the IEEE double Python's {@code float()} reads from it
 * ({@code 1e2} = {@code 100.0}; Python's migration re-prints every float through a double, so
 * digits beyond a double's precision are not compared). Integer and float stay distinct
 * ({@code 100} ≠ {@code 100.0}), as they are for Python and in both writers' output. Keys keep
 * document order; a duplicated key keeps its first position and its last value, as Python's
 * {@code json.loads} builds a dict.
 *
 * <p>Tags make the encoding unambiguous: {@code n t f} literals, {@code i<digits>;} integers,
 * {@code d<8 bytes>} doubles, {@code s<length><chars>} strings, {@code [ … ]} arrays and
 * {@code { key value … }} objects. Nesting is walked with an explicit stack (no recursion).
 * Not thread-safe.
 */
public final class CanonicalJson {
    private static final JsonFactory FACTORY = org.pgbackfill.extract.MessageExtractor.newJsonFactory();

    /** An object being written: where it starts and where each of its members starts. */
    private static final class ObjectFrame {
        int start;
        int[] memberStarts = new int[8];
        final List<String> keys = new ArrayList<>();

        void reset(int start) {
            this.start = start;
            keys.clear();
        }

        void member(int at, String key) {
            if (keys.size() == memberStarts.length) memberStarts = Arrays.copyOf(memberStarts, keys.size() * 2);
            memberStarts[keys.size()] = at;
            keys.add(key);
        }
    }

    private final List<ObjectFrame> framePool = new ArrayList<>();
    private final Set<String> scratchKeys = new HashSet<>();

    /** Appends the canonical form of the JSON text in {@code utf8[off, off+len)}. */
    public void append(byte[] utf8, int off, int len, CanonicalOutput out) throws IOException {
        try (JsonParser p = FACTORY.createParser(utf8, off, len)) {
            append(p, out);
        }
    }

    /** Appends the canonical form of the JSON text {@code json}. */
    public void append(String json, CanonicalOutput out) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            append(p, out);
        }
    }

    /** The canonical form of {@code json} on its own, for comparing two values. */
    public byte[] of(String json) throws IOException {
        CanonicalOutput out = new CanonicalOutput();
        append(json, out);
        return out.toByteArray();
    }

    private void append(JsonParser p, CanonicalOutput out) throws IOException {
        boolean[] isObject = new boolean[16];
        ObjectFrame[] objects = new ObjectFrame[16];
        int depth = 0;
        JsonToken t = p.nextToken();
        if (t == null) throw new IOException("no JSON value");
        while (true) {
            switch (t) {
                case START_OBJECT -> {
                    if (depth == isObject.length) {
                        isObject = Arrays.copyOf(isObject, depth * 2);
                        objects = Arrays.copyOf(objects, depth * 2);
                    }
                    isObject[depth] = true;
                    objects[depth] = frame(depth, out.length());
                    depth++;
                    out.put('{');
                }
                case START_ARRAY -> {
                    if (depth == isObject.length) {
                        isObject = Arrays.copyOf(isObject, depth * 2);
                        objects = Arrays.copyOf(objects, depth * 2);
                    }
                    isObject[depth] = false;
                    depth++;
                    out.put('[');
                }
                case END_ARRAY -> {
                    depth--;
                    out.put(']');
                }
                case END_OBJECT -> {
                    depth--;
                    dropDuplicateKeys(objects[depth], out);
                    out.put('}');
                }
                case FIELD_NAME -> {
                    objects[depth - 1].member(out.length(), p.currentName());
                    out.string(p.currentName());
                }
                case VALUE_STRING -> out.string(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                case VALUE_NUMBER_INT -> out.integer(p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? p.getBigIntegerValue().toString() : Long.toString(p.getLongValue()));
                case VALUE_NUMBER_FLOAT -> out.real(p.isNaN() ? p.getDoubleValue() : Double.parseDouble(p.getText()));
                case VALUE_TRUE -> out.put('t');
                case VALUE_FALSE -> out.put('f');
                case VALUE_NULL -> out.put('n');
                default -> throw new IOException("unexpected JSON token " + t);
            }
            if (depth == 0) break;
            t = p.nextToken();
            if (t == null) throw new IOException("JSON value ends early");
        }
        if (p.nextToken() != null) throw new IOException("extra data after the JSON value");
    }

    private ObjectFrame frame(int depth, int start) {
        while (framePool.size() <= depth) framePool.add(new ObjectFrame());
        ObjectFrame f = framePool.get(depth);
        f.reset(start);
        return f;
    }

    /**
     * Rewrites the object just written (from {@code f.start} to the end of {@code out}) when a key
     * repeats: each key once, at its first position, with its last value. Rare, so the common path
     * only checks.
     */
    private void dropDuplicateKeys(ObjectFrame f, CanonicalOutput out) {
        int n = f.keys.size();
        if (n < 2) return;
        scratchKeys.clear();
        scratchKeys.addAll(f.keys);
        if (scratchKeys.size() == n) return;
        Map<String, Integer> winner = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) winner.put(f.keys.get(i), i);   // put keeps the first position, takes the last value
        int end = out.length();
        byte[] members = out.copy(f.start + 1, end);
        out.truncate(f.start + 1);
        for (int i : winner.values()) {
            int from = f.memberStarts[i] - f.start - 1;
            int to = (i + 1 < n ? f.memberStarts[i + 1] : end) - f.start - 1;
            out.put(members, from, to - from);
        }
    }
}
