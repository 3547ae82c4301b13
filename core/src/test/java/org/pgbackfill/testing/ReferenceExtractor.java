package org.pgbackfill.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What one chat document must produce, written straight from SPEC.md sections 2, 3 and 6 and the
 * upstream Python ({@code _parse_chat_messages} plus what psycopg2, SQLAlchemy and PostgreSQL do
 * to the row on insert). Deliberately naive: whole-document Jackson trees, one chat at a time.
 * It does not apply the {@code user_id} predicate nor resolve ids across chats: see
 * {@link ReferenceBackfill}.
 */
public final class ReferenceExtractor {
    private static final BigInteger MILLIS_THRESHOLD = BigInteger.valueOf(10_000_000_000L);
    private static final BigInteger EARLIEST = BigInteger.valueOf(1_577_836_800L); // 2020-01-01
    private static final BigInteger THOUSAND = BigInteger.valueOf(1000);

    private ReferenceExtractor() {}

    /** Rows and message rejections of one chat, or the reason the whole chat is rejected. */
    public record Result(List<ExpectedRow> rows,
                         List<ExpectedMessageRejection> messageRejections,
                         Optional<ExpectedReason> chatRejection) {
        static Result nothing() {
            return new Result(List.of(), List.of(), Optional.empty());
        }

        static Result rejectedChat(ExpectedReason reason) {
            return new Result(List.of(), List.of(), Optional.of(reason));
        }
    }

    /**
     * @param document the {@code chat.chat} text as PostgreSQL returns it, null for SQL NULL
     * @param now      the run's fixed "now" in epoch seconds
     */
    public static Result extract(String chatId, String userId, String document, long now) {
        if (document == null) return Result.nothing();
        JsonNode doc;
        try {
            doc = ExactJson.parse(document);
        } catch (JsonProcessingException e) {
            // Cannot come from a json column (PostgreSQL validated it); psycopg2 would raise on
            // fetch and abort upstream, so this project would reject the chat.
            return Result.rejectedChat(ExpectedReason.INVALID_JSON);
        }
        // Python's json.loads raises on these while parsing the top-level document: upstream aborts
        // the whole migration, this project rejects the chat with the reason.
        Optional<ExpectedReason> limit = PythonLimits.exceeded(document, false);
        if (limit.isPresent()) return Result.rejectedChat(limit.get());
        if (!PythonValue.truthy(doc)) return Result.nothing();
        if (doc.isTextual()) {
            // Double-encoded: json.loads once more. Its result is NOT re-checked for falsiness
            // upstream: an inner null/false/0/""/[] reaches chat_data.get() and aborts, so it is
            // NOT_AN_OBJECT here, while an inner {} is an object without history: nothing.
            String inner = doc.textValue();
            try {
                doc = ExactJson.parsePython(inner);
            } catch (JsonProcessingException e) {
                return Result.rejectedChat(ExpectedReason.INVALID_JSON);
            }
            // The same limits inside a double-encoded document make upstream skip the chat: recorded
            // like any other unreadable double-encoded document.
            if (PythonLimits.exceeded(inner, true).isPresent()) {
                return Result.rejectedChat(ExpectedReason.INVALID_JSON);
            }
        }
        if (!doc.isObject()) return Result.rejectedChat(ExpectedReason.NOT_AN_OBJECT);

        JsonNode history = doc.get("history");
        if (history == null || !history.isObject()) return Result.nothing();
        JsonNode messages = history.get("messages");
        if (messages == null || !messages.isObject()) return Result.nothing();

        List<ExpectedRow> rows = new ArrayList<>();
        List<ExpectedMessageRejection> rejections = new ArrayList<>();
        // Jackson already resolved duplicate keys like a Python dict: last value, first position.
        for (Map.Entry<String, JsonNode> entry : messages.properties()) {
            JsonNode message = entry.getValue();
            if (!message.isObject()) continue;
            JsonNode role = message.get("role");
            if (role == null || !PythonValue.truthy(role)) continue;
            try {
                rows.add(row(chatId, userId, entry.getKey(), message, now));
            } catch (Rejected r) {
                rejections.add(new ExpectedMessageRejection(chatId, entry.getKey(), r.reason, message));
            }
        }
        return new Result(List.copyOf(rows), List.copyOf(rejections), Optional.empty());
    }

    /**
     * One row, or the first reason its INSERT would fail. When a message has several faults the
     * reported one is the first in this order: id, role, parent_id, model_id (column order), then
     * done, then a JSON column too deep to write, then the other JSON column faults. SPEC.md does not rank faults; the corpus avoids mixing them.
     */
    private static ExpectedRow row(String chatId, String userId, String key, JsonNode m, long now) throws Rejected {
        String id = checkedText(chatId + "-" + key);
        String role = text(m.get("role"));
        String parentId = text(m.get("parentId"));
        String modelId = text(m.get("model"));
        Boolean done = done(m.get("done"));
        // json.dumps runs client-side for every JSON column before PostgreSQL sees any value: a value
        // nested deeper than it writes fails the INSERT first (RecursionError).
        for (String f : new String[] {"content", "output", "files", "sources", "embeds", "statusHistory", "error", "usage"}) {
            JsonNode v = m.get(f);
            if (v != null && PythonLimits.depth(v) > PythonLimits.MAX_WRITE_NESTING) throw new Rejected(ExpectedReason.JSON_TOO_DEEP);
        }
        JsonNode content = json(m, "content"), output = json(m, "output"), files = json(m, "files"),
            sources = json(m, "sources"), embeds = json(m, "embeds"), statusHistory = json(m, "statusHistory"),
            error = json(m, "error"), usage = json(m, "usage");
        long ts = timestamp(m.get("timestamp"), now);
        return new ExpectedRow(id, chatId, userId, role, parentId, content, output, modelId, files, sources,
            embeds, done, statusHistory, error, usage, ts, ts);
    }

    /**
     * A JSON value as a TEXT column receives it through psycopg2: null/missing → SQL NULL; str as
     * is; bool → 'true'/'false' (PostgreSQL's boolean-to-text); int → its digits; float → see
     * {@link PythonFloat#postgresTextOfRepr}. A dict cannot be adapted (upstream fails); a list
     * becomes a PostgreSQL array literal upstream, which this project rejects on purpose.
     */
    static String text(JsonNode v) throws Rejected {
        if (v == null || v.isNull()) return null;
        if (v.isObject()) throw new Rejected(ExpectedReason.OBJECT_IN_TEXT);
        if (v.isArray()) throw new Rejected(ExpectedReason.ARRAY_IN_TEXT);
        if (v.isTextual()) return checkedText(v.textValue());
        if (v.isBoolean()) return v.booleanValue() ? "true" : "false";
        if (v.isIntegralNumber()) return v.bigIntegerValue().toString();
        return PythonFloat.postgresTextOfRepr(PythonValue.floatValue(v));
    }

    private static String checkedText(String s) throws Rejected {
        if (s.indexOf('\0') >= 0) throw new Rejected(ExpectedReason.NUL_IN_TEXT);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                // psycopg2 cannot encode it to UTF-8: the whole INSERT fails.
                throw new Rejected(ExpectedReason.LONE_SURROGATE_IN_TEXT);
            }
        }
        return s;
    }

    /**
     * {@code message.get('done', True)} through SQLAlchemy's strict Boolean: only values equal to
     * None, True or False pass ({@code 1 == True} and {@code 1.0 == True} in Python, so 1, 1.0, 0,
     * 0.0 and -0.0 do), then {@code bool()} is applied. Anything else fails the insert.
     */
    static Boolean done(JsonNode v) throws Rejected {
        if (v == null) return Boolean.TRUE;
        if (v.isNull()) return null;
        if (v.isBoolean()) return v.booleanValue();
        if (v.isNumber()) {
            double d = v.isIntegralNumber() ? v.bigIntegerValue().doubleValue() : PythonValue.floatValue(v);
            if (d == 1.0) return Boolean.TRUE; // no integer other than 1 converts to 1.0
            if (d == 0.0) return Boolean.FALSE;
        }
        throw new Rejected(ExpectedReason.BAD_DONE);
    }

    /** SPEC section 3, timestamp normalisation: {@code int(float(ts))}, milliseconds, window. */
    static long timestamp(JsonNode v, long now) {
        BigInteger ts = truncatedFloat(v);
        if (ts == null) ts = BigInteger.valueOf(now); // missing, or float()/int() raised
        if (ts.compareTo(MILLIS_THRESHOLD) > 0) ts = ts.divide(THOUSAND); // positive: floor == truncation
        if (ts.compareTo(EARLIEST) < 0 || ts.compareTo(BigInteger.valueOf(now + 86_400)) > 0) return now;
        return ts.longValueExact();
    }

    /** {@code int(float(v))}, or null when Python raises (TypeError, ValueError, OverflowError). */
    private static BigInteger truncatedFloat(JsonNode v) {
        if (v == null || v.isNull()) return null; // missing → now; None → float(None) raises
        double d;
        if (v.isBoolean()) d = v.booleanValue() ? 1 : 0;
        else if (v.isIntegralNumber()) d = v.bigIntegerValue().doubleValue(); // float(int): correctly rounded; too big → inf
        else if (v.isNumber()) d = PythonValue.floatValue(v);
        else if (v.isTextual()) {
            OptionalDouble parsed = PythonFloat.parse(v.textValue());
            if (parsed.isEmpty()) return null;
            d = parsed.getAsDouble();
        } else return null; // dict, list
        if (Double.isNaN(d) || Double.isInfinite(d)) return null; // int(nan) / int(inf) raise
        return new BigDecimal(d).toBigInteger(); // truncates toward zero
    }

    private static JsonNode json(JsonNode message, String field) throws Rejected {
        JsonNode v = message.get(field);
        if (v == null || v.isNull()) return NullNode.getInstance();
        if (hasNonFiniteFloat(v)) throw new Rejected(ExpectedReason.NUMBER_OUT_OF_RANGE);
        return v;
    }

    /**
     * Python reads a float literal beyond the double range as inf; json.dumps writes
     * {@code Infinity}, which PostgreSQL's json type refuses. Integers stay exact in Python and are
     * fine. NaN/Infinity can also arrive as literals in a double-encoded document. Iterative
     * because documents nest deeply.
     */
    private static boolean hasNonFiniteFloat(JsonNode root) {
        Deque<JsonNode> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            JsonNode n = todo.pop();
            if (n.isContainerNode()) n.elements().forEachRemaining(todo::push);
            else if (n.isNumber() && !n.isIntegralNumber() && !Double.isFinite(PythonValue.floatValue(n))) return true;
        }
        return false;
    }

    /** A message whose INSERT would fail upstream. */
    static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        final ExpectedReason reason;

        Rejected(ExpectedReason reason) {
            super(reason.name(), null, false, false);
            this.reason = reason;
        }
    }
}
