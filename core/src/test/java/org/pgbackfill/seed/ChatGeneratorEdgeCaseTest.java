package org.pgbackfill.seed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Each edge case, asked for alone, appears in every chat that carries it, and the documents stay
 * valid JSON (PostgreSQL's acceptance is checked in {@link ChatSeederTest}).
 */
class ChatGeneratorEdgeCaseTest {
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    private static final int N = 120;

    @ParameterizedTest
    @EnumSource(value = EdgeCase.class, mode = EnumSource.Mode.EXCLUDE, names = "HUGE_STRING")
    void everyChatCarriesTheRequestedEdgeCase(EdgeCase kind) throws IOException {
        ChatGenerator g = new ChatGenerator(GeneratorOptions.builder().seed(kind.ordinal() + 1L).chats(N)
            .meanDocumentBytes(8 << 10).sizeSigma(0.5).edgeCaseShare(1.0).edgeCases(EnumSet.of(kind)).build());
        Map<String, String> rowIds = new HashMap<>();
        boolean collided = false;
        while (g.hasNext()) {
            GeneratedChat c = g.next();
            assertEquals(kind, c.edgeCase(), c.toString());
            JsonNode d = c.documentIsNull() ? null : GeneratedJson.tree(c);
            if (kind == EdgeCase.DUPLICATE_ROW_ID) {
                for (String key : keys(d)) {
                    String prev = rowIds.put(c.id() + "-" + key, c.id());
                    if (prev != null && !prev.equals(c.id())) collided = true;
                }
                continue;
            }
            if (!shows(kind, c, d)) fail(kind + " not found in " + c + ":\n" + GeneratedJson.head(c));
        }
        if (kind == EdgeCase.DUPLICATE_ROW_ID) assertTrue(collided, "two chats produce the same chat_message id");
    }

    @Test
    void hugeStringExceedsJacksonsDefaultLimit() {
        ChatGenerator g = new ChatGenerator(GeneratorOptions.builder().seed(1).chats(1).edgeCaseShare(1.0)
            .edgeCases(EnumSet.of(EdgeCase.HUGE_STRING)).build());
        GeneratedChat c = g.next();
        assertTrue(c.documentLength() > 21_000_000, c.toString());
        JsonNode d = GeneratedJson.tree(c);
        boolean found = false;
        for (Iterator<JsonNode> it = d.get("history").get("messages").elements(); it.hasNext(); ) {
            JsonNode content = it.next().get("content");
            if (content != null && content.isTextual() && content.textValue().length() > 20_000_000) found = true;
        }
        assertTrue(found);
    }

    @Test
    void theDefaultShareMixesEdgeCasesIntoOrdinaryChats() {
        ChatGenerator g = new ChatGenerator(GeneratorOptions.builder().seed(11).chats(4000).meanDocumentBytes(4096)
            .sizeSigma(0.5).edgeCaseShare(0.25).build());
        Map<EdgeCase, Integer> seen = new EnumMap<>(EdgeCase.class);
        int ordinary = 0;
        while (g.hasNext()) {
            GeneratedChat c = g.next();
            if (c.edgeCase() == null) ordinary++; else seen.merge(c.edgeCase(), 1, Integer::sum);
            if (!c.documentIsNull()) GeneratedJson.tree(c);
        }
        assertEquals(0.75, ordinary / 4000.0, 0.03);
        Set<EdgeCase> expected = EdgeCase.defaults();
        assertEquals(expected, seen.keySet(), "every default edge case appears, HUGE_STRING only on request");
    }

    private static boolean shows(EdgeCase kind, GeneratedChat c, JsonNode d) throws IOException {
        String raw = c.documentText();
        List<String> dups = raw == null ? List.of() : GeneratedJson.duplicateKeys(c.buffer(), c.documentLength());
        JsonNode msgs = d == null || !d.isObject() || !d.path("history").isObject() ? MissingNode.getInstance()
            : d.get("history").path("messages");
        switch (kind) {
            case FALSY_DOCUMENT:
                return d == null || d.isNull() || d.isBoolean() && !d.booleanValue() || d.isNumber() && d.doubleValue() == 0
                    || d.isTextual() && d.textValue().isEmpty() || d.isContainerNode() && d.size() == 0;
            case NOT_AN_OBJECT:
                return d.isArray() && d.size() > 0 || d.isNumber() && d.doubleValue() != 0 || d.isBoolean() && d.booleanValue();
            case DOUBLE_ENCODED: {
                if (!d.isTextual()) return false;
                JsonNode inner = GeneratedJson.MAPPER.readTree(d.textValue());
                return inner.isObject() && inner.get("history").get("messages").size() > 0;
            }
            case DOUBLE_ENCODED_BAD: {
                if (!d.isTextual() || d.textValue().isEmpty()) return false;
                try {
                    JsonNode inner = GeneratedJson.MAPPER.readTree(d.textValue());
                    return inner == null || !inner.isObject() || !inner.path("history").path("messages").isObject()
                        || inner.get("history").get("messages").size() == 0;
                } catch (IOException e) {
                    return true;
                }
            }
            case ODD_WHITESPACE:
                return Character.isWhitespace(raw.charAt(0)) && raw.contains("\r\n") && msgs.size() > 0;
            case NO_HISTORY:
                return d.isObject() && !d.has("history") && d.get("messages").size() > 0;
            case HISTORY_NOT_OBJECT:
                return d.has("history") && !d.get("history").isObject();
            case MESSAGES_NOT_OBJECT:
                return d.get("history").isObject() && (msgs.isMissingNode() || !msgs.isObject() || msgs.size() == 0);
            case DUPLICATE_HISTORY:
                return dups.contains("/history");
            case DUPLICATE_MESSAGE_KEY:
                return dups.stream().anyMatch(s -> s.startsWith("messages/"));
            case DUPLICATE_ROLE:
                return dups.stream().anyMatch(s -> s.endsWith("/role"));
            case NON_OBJECT_MESSAGE:
                return anyMessage(msgs, m -> !m.isObject());
            case FALSY_ROLE:
                return anyMessage(msgs, m -> m.isObject() && (!m.has("role") || falsy(m.get("role"))));
            case NUMERIC_ROLE:
                return anyMessage(msgs, m -> m.path("role").isNumber() || m.path("role").isBoolean());
            case STRING_TIMESTAMP:
                return anyMessage(msgs, m -> m.path("timestamp").isTextual());
            case ODD_TIMESTAMP:
                return anyMessage(msgs, m -> {
                    JsonNode t = m.get("timestamp");
                    if (t == null || !t.isIntegralNumber() || !t.canConvertToLong()) return true;
                    long v = t.longValue();
                    return v < c.createdAt() || v > 1_750_000_000L;
                });
            case ODD_DONE:
                return anyMessage(msgs, m -> m.has("done") && !m.get("done").isBoolean());
            case OBJECT_IN_TEXT:
                return anyMessage(msgs, m -> m.path("role").isContainerNode() || m.path("parentId").isContainerNode()
                    || m.path("model").isContainerNode());
            case NUMBER_IN_TEXT:
                return anyMessage(msgs, m -> m.path("parentId").isNumber() || m.path("parentId").isBoolean()
                    || m.path("model").isNumber() || m.path("model").isBoolean());
            case NUL_IN_TEXT:
                return anyMessage(msgs, m -> m.path("role").asText("").contains("\0")
                    || m.path("parentId").asText("").contains("\0") || m.path("model").asText("").contains("\0"));
            case NUL_IN_CONTENT:
                return anyMessage(msgs, m -> m.path("content").asText("").contains("\0"));
            case NUL_IN_KEY:
                return keys(d).stream().anyMatch(k -> k.contains("\0"));
            case LONE_SURROGATE:
                return raw.contains("\\ud800") || raw.contains("\\udfff") || raw.contains("\\udc00")
                    || raw.contains("lone \\ud83d surrogate") || raw.contains("\\ude00\\ud83d");
            case HUGE_NUMBER:
                return raw.contains("1e400") || raw.contains("1e999");
            case LONG_NUMBER:
                return Pattern.compile("[0-9]{1500}").matcher(raw).find();
            case CONTENT_NOT_STRING:
                return anyMessage(msgs, m -> m.has("content") && !m.get("content").isTextual());
            case MISSING_FIELDS:
                return anyMessage(msgs, m -> m.isObject() && !m.has("id") && !m.has("timestamp"));
            case WEIRD_KEYS: {
                for (Iterator<Map.Entry<String, JsonNode>> it = msgs.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!e.getKey().equals(e.getValue().path("id").asText())) return true;
                }
                return false;
            }
            case ESCAPED_TEXT:
                return raw.contains("\\/path\\/to \\b\\f\\r");
            case LONG_KEY:
                return keys(d).stream().anyMatch(k -> k.length() >= 3000);
            case DEEP_NESTING:
                return raw.contains("[".repeat(1100));
            case NULL_USER:
                return c.userId() == null;
            case SHARED_LOOKALIKE_USER:
                return c.userId().toLowerCase().contains("shared") && !c.userId().startsWith("shared-");
            case NON_UUID_CHAT_ID:
                return !UUID.matcher(c.id()).matches();
            default:
                throw new AssertionError("no check for " + kind);
        }
    }

    private static boolean anyMessage(JsonNode msgs, java.util.function.Predicate<JsonNode> p) {
        for (Iterator<JsonNode> it = msgs.elements(); it.hasNext(); ) if (p.test(it.next())) return true;
        return false;
    }

    private static List<String> keys(JsonNode d) {
        List<String> keys = new ArrayList<>();
        if (d == null || !d.isObject()) return keys;
        d.path("history").path("messages").fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    /** Python truthiness of a JSON value. */
    private static boolean falsy(JsonNode v) {
        return v.isNull() || v.isBoolean() && !v.booleanValue() || v.isNumber() && v.doubleValue() == 0
            || v.isTextual() && v.textValue().isEmpty() || v.isContainerNode() && v.size() == 0;
    }
}
