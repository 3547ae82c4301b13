package org.pgbackfill.testing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Optional;

/**
 * The limits CPython 3.11 applies while {@code json.loads} parses (SPEC.md 6.1), checked on the
 * token stream: they fire during parsing, so a value later overwritten by a duplicate key counts
 * too (a tree, which keeps only the last value, would miss it). Numbers as measured with python3:
 * {@code json.loads("1" * 4301)} raises ValueError; nesting beyond about 985 containers raises
 * RecursionError inside the migration (the project's chosen figure); json.dumps, called deeper in
 * the stack, writes about five levels less.
 */
final class PythonLimits {
    static final int MAX_INT_DIGITS = 4300;
    static final int MAX_NESTING = 985;
    static final int MAX_WRITE_NESTING = 980;

    private PythonLimits() {}

    /** The first limit {@code text} (valid JSON) exceeds, in reading order, or empty. */
    static Optional<ExpectedReason> exceeded(String text, boolean pythonLiterals) {
        try (JsonParser p = (pythonLiterals ? ExactJson.pythonMapper() : ExactJson.MAPPER).createParser(text)) {
            int depth = 0;
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                if (t.isStructStart() && ++depth > MAX_NESTING) return Optional.of(ExpectedReason.NESTING_TOO_DEEP);
                if (t.isStructEnd()) depth--;
                if (t == JsonToken.VALUE_NUMBER_INT && p.getText().replace("-", "").length() > MAX_INT_DIGITS) {
                    return Optional.of(ExpectedReason.INTEGER_TOO_LONG);
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("the text was parsed already", e);
        }
    }

    /** The nesting of a value as json.dumps counts it: each object or array is one level. Iterative. */
    static int depth(com.fasterxml.jackson.databind.JsonNode root) {
        int max = 0;
        java.util.ArrayDeque<Object[]> todo = new java.util.ArrayDeque<>();
        todo.push(new Object[] {root, 1});
        while (!todo.isEmpty()) {
            Object[] e = todo.pop();
            com.fasterxml.jackson.databind.JsonNode n = (com.fasterxml.jackson.databind.JsonNode) e[0];
            int d = (Integer) e[1];
            if (!n.isContainerNode()) continue;
            max = Math.max(max, d);
            n.elements().forEachRemaining(c -> todo.push(new Object[] {c, d + 1}));
        }
        return max;
    }
}
