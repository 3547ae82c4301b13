package org.pgbackfill.job.currentmessage;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The value of {@code chat.current_message_id} for one chat, exactly as SPEC.md 7 and upstream's
 * revision 9a1b2c3d4e5f compute it, with no database: the chat's {@code chat_message} rows are given
 * in physical order (upstream's query has no ORDER BY). Stateless and thread-safe.
 *
 * <p>Details settled from upstream's file (beyond SPEC.md's wording):
 * <ul>
 *   <li>A candidate is kept when it is a non-empty str <em>before</em> the prefix is cut, so
 *       {@code "<chat id>-"} becomes the candidate {@code ""}: it never matches a row (upstream drops
 *       rows whose cut id is empty) and, if it is the first candidate found among the document's keys,
 *       the value is not that key but the leaf (upstream tests the found candidate's truthiness).
 *   <li>Rows whose id is {@code "<chat id>-"} are skipped; two rows whose ids cut to the same key
 *       (one with the prefix, one without) make one message: first position, last row's parent/time.
 *   <li>A parent_id is cut only when non-empty and prefixed; created_at NULL (and 0) is 0.
 *   <li>Every candidate goes into upstream's lookup query, so one holding a NUL or a lone surrogate
 *       aborts it (psycopg2) whatever the rest of the chat is; likewise the value in the UPDATE.
 *   <li>A document key that is not a str (top-level messages ids: numbers, true) can be the value:
 *       PostgreSQL stores psycopg2's literal as text ({@code 5 → "5"}, {@code true → "true"},
 *       {@code 1e20 → "100000000000000000000"}, NaN → {@code "NaN"}).
 *   <li>Upstream updates when {@code value != current}: a number key whose text equals the current
 *       value makes an UPDATE that changes nothing; here it is "unchanged".
 * </ul>
 * Known difference, on purpose: upstream's lookup of step 3 filters {@code chat_message} by the whole
 * batch's candidate ids (150 chats), so a row of this chat whose id does not start with
 * {@code "<chat id>-"} but equals another chat's {@code "<other id>-<candidate>"} can match this chat's
 * candidate equal to that whole id; it depends on which chats share a fetch, and is not reproduced.
 */
public final class CurrentMessageRule {
    private CurrentMessageRule() { }

    public static CurrentMessageOutcome decide(String chatId, String current, DocumentFacts facts, List<ChatMessageRow> rows) {
        if (facts.failure() != null) {
            return new CurrentMessageOutcome.Rejected(facts.failure().reason(), facts.failure().detail());
        }
        String prefix = chatId + "-";
        List<String> candidates = new ArrayList<>(4);
        for (String c : new String[] {current, facts.historyCurrentId(), facts.currentId(), facts.branchPointMessageId()}) {
            if (c == null || c.isEmpty()) continue;
            String cut = c.startsWith(prefix) ? c.substring(prefix.length()) : c;
            if (!candidates.contains(cut)) candidates.add(cut);
        }
        for (String c : candidates) {
            String bad = unsendable(c);
            if (bad != null) return new CurrentMessageOutcome.Rejected(CurrentMessageReject.CANDIDATE_NOT_SENDABLE, "a candidate " + bad);
        }

        // Step 3: a candidate naming one of the chat's rows.
        if (!rows.isEmpty() && !candidates.isEmpty()) {
            Set<String> ids = new HashSet<>();
            for (ChatMessageRow r : rows) ids.add(r.id());
            for (String c : candidates) {
                if (!c.isEmpty() && ids.contains(prefix + c)) return write(c, current, CurrentMessageOutcome.Source.ROW_CANDIDATE);
            }
        }

        // Step 4: the latest leaf of the rows.
        Map<String, long[]> times = new LinkedHashMap<>();
        Map<String, String> parents = new LinkedHashMap<>();
        for (ChatMessageRow r : rows) {
            String key = r.id() != null && r.id().startsWith(prefix) ? r.id().substring(prefix.length()) : r.id();
            if (key == null || key.isEmpty()) continue;
            String parent = r.parentId();
            if (parent != null && !parent.isEmpty() && parent.startsWith(prefix)) parent = parent.substring(prefix.length());
            times.put(key, new long[] {r.createdAt() == null ? 0 : r.createdAt()});
            parents.put(key, parent);
        }
        if (!times.isEmpty()) {
            Set<String> named = new HashSet<>();
            for (String parent : parents.values()) if (parent != null && times.containsKey(parent)) named.add(parent);
            String best = null;
            long bestTime = 0;
            boolean anyLeaf = named.size() < times.size();
            for (Map.Entry<String, long[]> e : times.entrySet()) {
                if (anyLeaf && named.contains(e.getKey())) continue;
                long t = e.getValue()[0];
                if (best == null || t > bestTime) {
                    best = e.getKey();
                    bestTime = t;
                }
            }
            return write(best, current, CurrentMessageOutcome.Source.ROW_LEAF);
        }

        // Step 5: the document's messages.
        MessageGraph graph = facts.messages();
        if (graph.isEmpty()) return CurrentMessageOutcome.UNCHANGED;
        for (String c : candidates) {
            if (graph.containsKey(c)) {
                if (!c.isEmpty()) return write(c, current, CurrentMessageOutcome.Source.DOCUMENT_CANDIDATE);
                break;                                        // the first found is "", falsy: the leaf decides
            }
        }
        List<MessageGraph.Node> nodes = graph.nodes();
        Set<Object> named = new HashSet<>();
        for (MessageGraph.Node n : nodes) {
            if (n.parent() instanceof PyValues.Unhashable u) {
                return new CurrentMessageOutcome.Rejected(CurrentMessageReject.UNHASHABLE_PARENT_ID,
                    "message " + describeKey(n.key()) + " has a parentId that is a " + PyValues.typeName(u));
            }
            if (n.parent() != PyValues.NONE && graph.containsHashKey(n.parent())) named.add(n.parent());
        }
        boolean anyLeaf = false;
        for (MessageGraph.Node n : nodes) {
            if (!named.contains(PyValues.hashKey(n.key()))) { anyLeaf = true; break; }
        }
        MessageGraph.Node best = null;
        for (MessageGraph.Node n : nodes) {
            if (anyLeaf && named.contains(PyValues.hashKey(n.key()))) continue;
            try {
                if (best == null || PyValues.gt(n.time(), best.time())) best = n;
            } catch (PyValues.Unorderable e) {
                return new CurrentMessageOutcome.Rejected(CurrentMessageReject.UNORDERABLE_TIMES,
                    "comparing the times of " + describeKey(n.key()) + " and " + describeKey(best.key()) + ": " + e.getMessage());
            }
        }
        Object key = best.key();
        if (key instanceof String s) {
            if (s.isEmpty()) return CurrentMessageOutcome.UNCHANGED;
            return write(s, current, CurrentMessageOutcome.Source.DOCUMENT_LEAF);
        }
        return write(asText(key), current, CurrentMessageOutcome.Source.DOCUMENT_LEAF);
    }

    private static CurrentMessageOutcome write(String value, String current, CurrentMessageOutcome.Source source) {
        if (value.isEmpty() || value.equals(current)) return CurrentMessageOutcome.UNCHANGED;
        String bad = unsendable(value);
        if (bad != null) return new CurrentMessageOutcome.Rejected(CurrentMessageReject.VALUE_NOT_SENDABLE, "the value " + bad);
        return new CurrentMessageOutcome.Write(value, source);
    }

    /** The text PostgreSQL stores for a non-str key psycopg2 sends (a truthy bool, int or float). */
    static String asText(Object key) {
        if (key instanceof Boolean b) return b ? "true" : "false";
        if (key instanceof BigInteger i) return i.toString();
        if (key instanceof Double d) return org.pgbackfill.extract.PythonReading.numberAsText(Double.toString(d), false);
        throw new IllegalArgumentException(String.valueOf(key));
    }

    /** Why psycopg2 cannot send this str (a NUL, a lone surrogate), or null. */
    static String unsendable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) return "holds a NUL character at index " + i;
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return "holds a lone surrogate U+" + Integer.toHexString(c).toUpperCase() + " at index " + i;
                }
            }
        }
        return null;
    }

    private static String describeKey(Object key) {
        String s = key instanceof String str ? "'" + (str.length() > 40 ? str.substring(0, 40) + "…" : str) + "'" : String.valueOf(key);
        return s;
    }
}
