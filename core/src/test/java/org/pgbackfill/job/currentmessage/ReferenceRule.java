package org.pgbackfill.job.currentmessage;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An independent, simple reading of SPEC.md 7 (plus the details settled from upstream's file): a whole
 * Jackson tree per document, and its own small Python-semantics helpers over JsonNode. Shares no code
 * with the production classes. Result: "write:<value>", "unchanged" or "rejected:<REASON>".
 */
final class ReferenceRule {
    private static final JsonFactory FACTORY = JsonFactory.builder()
        .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(100_000).maxNumberLength(100_000).maxNameLength(Integer.MAX_VALUE)
            .maxStringLength(Integer.MAX_VALUE).build())
        .build();
    private static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);

    private static final class Reject extends RuntimeException {
        Reject(String reason) { super(reason, null, false, false); }
    }

    /** A message of the map: its key node, parent node (null: missing) and time node (null: missing). */
    private record Msg(JsonNode key, JsonNode parent, JsonNode time) { }

    static String decide(Corpus.Case c) {
        try {
            return run(c);
        } catch (Reject r) {
            return "rejected:" + r.getMessage();
        }
    }

    /** The first problem Python would meet in the text, in order: "deep", "long", "invalid", or null. */
    private static String problem(String text) {
        try (JsonParser p = FACTORY.createParser(text)) {
            int depth = 0;
            JsonToken t;
            boolean any = false;
            while ((t = p.nextToken()) != null) {
                any = true;
                if (t.isStructStart() && ++depth > 985) return "deep";
                if (t.isStructEnd()) depth--;
                if (t == JsonToken.VALUE_NUMBER_INT && p.getText().replace("-", "").length() > 4300) return "long";
                if (t == JsonToken.VALUE_NUMBER_FLOAT) {
                    String s = p.getText();
                    boolean plain = Character.isDigit(s.charAt(0)) || (s.startsWith("-") && s.length() > 1 && Character.isDigit(s.charAt(1)));
                    if (!plain && !s.equals("NaN") && !s.equals("Infinity") && !s.equals("-Infinity")) return "invalid";
                }
                if (t == JsonToken.VALUE_STRING) p.getText();
            }
            return any ? null : "invalid";
        } catch (Exception e) {
            return "invalid";
        }
    }

    private static JsonNode tree(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode document(String text) {
        if (text == null) return MAPPER.createObjectNode();
        String p = problem(text);
        if ("deep".equals(p)) throw new Reject("DOCUMENT_NESTING_TOO_DEEP");
        if ("long".equals(p)) throw new Reject("DOCUMENT_INTEGER_TOO_LONG");
        if (p != null) throw new Reject("DOCUMENT_INVALID_JSON");
        JsonNode doc = tree(text);
        if (doc.isTextual()) {
            String inner = doc.textValue();
            String q = problem(inner);
            if ("deep".equals(q)) throw new Reject("INNER_NESTING_TOO_DEEP");
            doc = q == null ? tree(inner) : MAPPER.createObjectNode();
        }
        return doc.isObject() ? doc : MAPPER.createObjectNode();
    }

    private static String run(Corpus.Case c) {
        JsonNode doc = document(c.document());
        String prefix = c.chatId() + "-";
        JsonNode history = doc.path("history").isObject() ? doc.get("history") : MAPPER.createObjectNode();

        List<String> candidates = new ArrayList<>();
        List<String> raw = new ArrayList<>();
        raw.add(c.current());
        for (JsonNode n : new JsonNode[] {history.get("currentId"), doc.get("currentId"), doc.get("branchPointMessageId")}) {
            raw.add(n != null && n.isTextual() ? n.textValue() : null);
        }
        for (String s : raw) {
            if (s == null || s.isEmpty()) continue;
            if (s.startsWith(prefix)) s = s.substring(prefix.length());
            if (!candidates.contains(s)) candidates.add(s);
        }

        // Step 5's map, built while reading.
        Map<String, Msg> map = new LinkedHashMap<>();   // canonical key -> message
        JsonNode hm = history.get("messages");
        if (hm != null && hm.isObject() && hm.size() > 0) {
            for (Iterator<Map.Entry<String, JsonNode>> it = hm.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode m = e.getValue();
                JsonNode key = MAPPER.getNodeFactory().textNode(e.getKey());
                map.put(canon(key), m.isObject() ? new Msg(key, m.get("parentId"), m.get("timestamp")) : new Msg(key, null, null));
            }
        } else if (doc.path("messages").isArray()) {
            for (JsonNode m : doc.get("messages")) {
                if (!m.isObject() || m.get("id") == null || !truthy(m.get("id"))) continue;
                JsonNode id = m.get("id");
                if (id.isContainerNode()) throw new Reject("UNHASHABLE_MESSAGE_ID");
                String k = canon(id);
                Msg old = map.get(k);
                map.put(k, new Msg(old != null ? old.key() : id, m.get("parentId"), m.get("timestamp")));
            }
        }

        for (String s : candidates) {
            if (bad(s)) throw new Reject("CANDIDATE_NOT_SENDABLE");
        }

        // Step 3.
        Set<String> rowIds = new HashSet<>();
        for (Corpus.Row r : c.rows()) rowIds.add(r.id());
        for (String s : candidates) {
            if (!s.isEmpty() && rowIds.contains(prefix + s)) return finish(s, c.current());
        }
        // Step 4.
        Map<String, String[]> rowMsgs = new LinkedHashMap<>();
        for (Corpus.Row r : c.rows()) {
            String key = r.id().startsWith(prefix) ? r.id().substring(prefix.length()) : r.id();
            if (key.isEmpty()) continue;
            String parent = r.parentId();
            if (parent != null && parent.startsWith(prefix)) parent = parent.substring(prefix.length());
            rowMsgs.put(key, new String[] {parent, String.valueOf(r.createdAt() == null ? 0 : r.createdAt())});
        }
        if (!rowMsgs.isEmpty()) {
            Set<String> parents = new HashSet<>();
            for (String[] v : rowMsgs.values()) if (v[0] != null && rowMsgs.containsKey(v[0])) parents.add(v[0]);
            List<String> pool = new ArrayList<>();
            for (String k : rowMsgs.keySet()) if (!parents.contains(k)) pool.add(k);
            if (pool.isEmpty()) pool.addAll(rowMsgs.keySet());
            String best = pool.get(0);
            for (String k : pool) if (Long.parseLong(rowMsgs.get(k)[1]) > Long.parseLong(rowMsgs.get(best)[1])) best = k;
            return finish(best, c.current());
        }
        // Step 5.
        if (map.isEmpty()) return "unchanged";
        for (String s : candidates) {
            if (map.containsKey(canon(MAPPER.getNodeFactory().textNode(s)))) {
                if (!s.isEmpty()) return finish(s, c.current());
                break;
            }
        }
        Set<String> named = new HashSet<>();
        for (Msg m : map.values()) {
            if (m.parent() != null && m.parent().isContainerNode()) throw new Reject("UNHASHABLE_PARENT_ID");
            if (m.parent() != null && !m.parent().isNull() && map.containsKey(canon(m.parent()))) named.add(canon(m.parent()));
        }
        List<Msg> pool = new ArrayList<>();
        for (Map.Entry<String, Msg> e : map.entrySet()) if (!named.contains(e.getKey())) pool.add(e.getValue());
        if (pool.isEmpty()) pool.addAll(map.values());
        Msg best = pool.get(0);
        for (Msg m : pool.subList(1, pool.size())) {
            if (greater(time(m), time(best))) best = m;
        }
        JsonNode key = best.key();
        String text;
        if (key.isTextual()) text = key.textValue();
        else if (key.isBoolean()) text = key.booleanValue() ? "true" : "false";
        else if (key.isIntegralNumber()) text = key.bigIntegerValue().toString();
        else text = floatText(key.doubleValue());
        if (text.isEmpty()) return "unchanged";
        return finish(text, c.current());
    }

    private static String finish(String value, String current) {
        if (value.equals(current)) return "unchanged";
        if (bad(value)) return "rejected:VALUE_NOT_SENDABLE";
        return "write:" + value;
    }

    private static boolean bad(String s) {
        if (s.indexOf('\0') >= 0) return true;
        return !java.nio.charset.StandardCharsets.UTF_8.newEncoder().canEncode(s);
    }

    /** {@code timestamp or 0}: missing, null and falsy values are 0. */
    private static JsonNode time(Msg m) {
        JsonNode t = m.time();
        return t == null || !truthy(t) ? MAPPER.getNodeFactory().numberNode(0) : t;
    }

    private static boolean truthy(JsonNode n) {
        if (n.isNull()) return false;
        if (n.isBoolean()) return n.booleanValue();
        if (n.isTextual()) return !n.textValue().isEmpty();
        if (n.isContainerNode()) return n.size() > 0;
        if (n.isIntegralNumber()) return n.bigIntegerValue().signum() != 0;
        return n.doubleValue() != 0.0;
    }

    /** A string equal for values Python's hash/== make one key: "s:" text, or a number's exact value, "nan", "inf". */
    private static String canon(JsonNode n) {
        if (n.isTextual()) return "s:" + n.textValue();
        if (n.isBoolean()) return n.booleanValue() ? "n:1" : "n:0";
        if (n.isIntegralNumber()) return "n:" + n.bigIntegerValue();
        double d = n.doubleValue();
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        BigDecimal b = new BigDecimal(d).stripTrailingZeros();
        return "n:" + (b.scale() <= 0 ? b.toBigInteger().toString() : b.toPlainString());
    }

    private static boolean isNum(JsonNode n) {
        return n.isNumber() || n.isBoolean();
    }

    private static double dbl(JsonNode n) {
        return n.isBoolean() ? (n.booleanValue() ? 1 : 0) : n.doubleValue();
    }

    /** Python's ==, the single NaN object being equal to itself. */
    private static boolean same(JsonNode a, JsonNode b) {
        if (isNum(a) && isNum(b)) return canon(a).equals(canon(b));
        if (a.isTextual() && b.isTextual()) return a.textValue().equals(b.textValue());
        if (a.isNull() && b.isNull()) return true;
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) return false;
            for (int i = 0; i < a.size(); i++) if (!same(a.get(i), b.get(i))) return false;
            return true;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) return false;
            for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!b.has(k) || !same(a.get(k), b.get(k))) return false;
            }
            return true;
        }
        return false;
    }

    /** Python's a > b, or Reject(UNORDERABLE_TIMES). */
    private static boolean greater(JsonNode a, JsonNode b) {
        if (isNum(a) && isNum(b)) {
            if (canon(a).equals("nan") || canon(b).equals("nan")) return false;
            double da = dbl(a), db = dbl(b);
            if (Double.isInfinite(da) || Double.isInfinite(db)) return da > db;
            BigDecimal x = a.isIntegralNumber() ? new BigDecimal(a.bigIntegerValue()) : new BigDecimal(da);
            BigDecimal y = b.isIntegralNumber() ? new BigDecimal(b.bigIntegerValue()) : new BigDecimal(db);
            return x.compareTo(y) > 0;
        }
        if (a.isTextual() && b.isTextual()) {
            int[] x = a.textValue().codePoints().toArray(), y = b.textValue().codePoints().toArray();
            for (int i = 0; i < Math.min(x.length, y.length); i++) if (x[i] != y[i]) return x[i] > y[i];
            return x.length > y.length;
        }
        if (a.isArray() && b.isArray()) {
            for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
                if (!same(a.get(i), b.get(i))) return greater(a.get(i), b.get(i));
            }
            return a.size() > b.size();
        }
        throw new Reject("UNORDERABLE_TIMES");
    }

    /** repr() of the float, as PostgreSQL's numeric prints it; NaN and infinities as float8 does. */
    private static String floatText(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        String repr = Double.toString(d);               // shortest round trip (JDK 19+) or close; digits only matter
        BigDecimal b = new BigDecimal(repr);
        BigDecimal shortest = b.stripTrailingZeros();
        int exp = shortest.precision() - shortest.scale() - 1;
        boolean plain = exp >= -4 && exp < 16;
        int scale = plain ? Math.max(1, shortest.scale()) : Math.max(0, shortest.scale());
        return shortest.setScale(scale).toPlainString();
    }
}
