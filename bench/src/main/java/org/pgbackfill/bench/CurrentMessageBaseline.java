package org.pgbackfill.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Baseline: upstream's revision {@code 9a1b2c3d4e5f} ({@code 9a1b2c3d4e5f_add_current_message_id_to_chat.py},
 * Open WebUI 0.11.0) re-created in Java, step for step, so that the benchmark compares the
 * architecture, not Python with Java.
 *
 * <p>What it does, as upstream does it: ONE connection, ONE transaction (Alembic's), session at its defaults.
 * <ol>
 * <li>{@code ALTER TABLE chat ADD COLUMN current_message_id TEXT} when the column is missing.</li>
 * <li>{@code SELECT id, chat, current_message_id FROM chat} (no filter, no ORDER BY) through a
 *     server-side cursor fetched 150 rows at a time (SQLAlchemy's {@code stream_results}, {@code yield_per=150}:
 *     here pgjdbc's portal with fetch size 150).</li>
 * <li>Per fetch, each document parsed whole into a tree (psycopg2 hands the json column to {@code json.loads};
 *     here Jackson's {@code readTree}, with Python's NaN/Infinity); a document that is a JSON string is parsed once
 *     more, a failure there counting as {@code {}}; anything not an object counts as {@code {}}. The candidates
 *     (the column, {@code history.currentId}, {@code currentId}, {@code branchPointMessageId}: non-empty strings,
 *     the {@code <chat id>-} prefix cut, repeats dropped) and the document's message map (history.messages, or the
 *     top-level messages list keyed by truthy ids) with each message's {@code parentId} and {@code timestamp}.</li>
 * <li>Per fetch, the first lookup: {@code SELECT chat_id, id FROM chat_message WHERE chat_id IN (the fetch's
 *     chats) AND id IN (every candidate as <chat id>-<candidate>)}; a chat whose candidate names one of its rows
 *     is resolved to the first such candidate.</li>
 * <li>Per fetch, the second lookup, for the chats left: {@code SELECT chat_id, id, parent_id, created_at FROM
 *     chat_message WHERE chat_id IN (…)}, rows in the order the server returns them; a chat with rows is resolved to
 *     its latest leaf (the first maximum of {@code created_at or 0} among the messages no message names as its
 *     parent, else among all).</li>
 * <li>The chats left: the first candidate that is a key of the document's map, else its latest leaf
 *     ({@code timestamp or 0}, document order).</li>
 * <li>Per fetch, {@code UPDATE chat SET current_message_id = ? WHERE id = ?} for each chat whose value is a
 *     non-empty string different from its current one.</li>
 * <li>{@code alembic_version} set to 9a1b2c3d4e5f, and the one commit.</li>
 * </ol>
 *
 * <p>Where it differs from upstream, in upstream's favour or not at all on the benchmark's data:
 * <ul>
 * <li>The IN lists are bound as arrays ({@code = ANY (?)}); PostgreSQL plans {@code IN (…)} as that very
 *     {@code = ANY} of an array.</li>
 * <li>The UPDATEs of a fetch go as one JDBC batch (pgjdbc pipelines them), where psycopg2's {@code executemany}
 *     waits for each statement in turn: the baseline is, if anything, faster than upstream here.</li>
 * <li>Non-string message ids (a top-level messages list with numbers or booleans as ids; never in the generated
 *     data) are keyed by their JSON text, without Python's {@code 1 == 1.0 == True}.</li>
 * <li>Where Python raises and upstream's migration aborts (an unhashable parentId or id, times that cannot be
 *     compared), this throws: the whole run fails, as upstream's does.</li>
 * </ul>
 */
final class CurrentMessageBaseline {
    static final int BATCH_SIZE = 150;
    private static final long PROGRESS_NANOS = 10_000_000_000L;

    /** Seconds spent, the chats read and the bytes of their documents, the UPDATEs sent. */
    record Result(double totalSeconds, double fetchSeconds, double parseSeconds, double lookupSeconds, double updateSeconds,
                  double commitSeconds, long chats, long documentBytes, long updated) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "upstream's 9a1b2c3d4e5f: %.2f s (fetching %.2f, parsing %.2f, lookups %.2f, updates %.2f, "
                    + "commit %.2f); %d chats, %.1f MB of documents, %d chats updated", totalSeconds, fetchSeconds, parseSeconds,
                lookupSeconds, updateSeconds, commitSeconds, chats, documentBytes / 1e6, updated);
        }
    }

    /** Python raised: upstream's migration aborts. */
    static final class Aborted extends RuntimeException {
        Aborted(String message) { super(message); }
    }

    private CurrentMessageBaseline() { }

    /** One message of a chat's map: its parent (a key, or null for None) and its {@code created_at or 0}. */
    private record Message(Object parent, Object time) { }

    /** A chat of the current fetch. */
    private static final class Chat {
        final String id;
        final String current;
        final List<String> candidates = new ArrayList<>(4);
        /** The document's messages, in dict order (empty when none). */
        Map<Object, Message> messages = Map.of();
        String resolved;

        Chat(String id, String current) {
            this.id = id;
            this.current = current;
        }
    }

    /** Runs the revision on {@code c} (left in manual-commit mode); {@code progress} (may be null) gets a line every ~10 s. */
    static Result run(Connection c, PrintStream progress) throws SQLException {
        PrintStream out = progress != null ? progress : new PrintStream(OutputStream.nullOutputStream());
        c.setAutoCommit(false);
        long t0 = System.nanoTime(), lastReport = t0;
        long fetch = 0, parse = 0, lookup = 0, update = 0, chats = 0, bytes = 0, updated = 0;
        boolean hasChatMessage;
        try (Statement st = c.createStatement()) {
            boolean hasColumn;
            try (ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'chat'::regclass "
                    + "AND attname = 'current_message_id' AND NOT attisdropped), to_regclass('chat_message') IS NOT NULL")) {
                rs.next();
                hasColumn = rs.getBoolean(1);
                hasChatMessage = rs.getBoolean(2);
            }
            if (!hasColumn) st.execute("ALTER TABLE chat ADD COLUMN current_message_id TEXT");
        }
        try (PreparedStatement select = c.prepareStatement("SELECT id, chat, current_message_id FROM chat");
             PreparedStatement byCandidate = c.prepareStatement("SELECT chat_id, id FROM chat_message WHERE chat_id = ANY (?) AND id = ANY (?)");
             PreparedStatement rowsOf = c.prepareStatement("SELECT chat_id, id, parent_id, created_at FROM chat_message WHERE chat_id = ANY (?)");
             PreparedStatement write = c.prepareStatement("UPDATE chat SET current_message_id = ? WHERE id = ?")) {
            select.setFetchSize(BATCH_SIZE);
            long s = System.nanoTime();
            try (ResultSet rs = select.executeQuery()) {
                fetch += System.nanoTime() - s;
                while (true) {
                    List<Chat> batch = new ArrayList<>(BATCH_SIZE);
                    List<String> docs = new ArrayList<>(BATCH_SIZE);
                    s = System.nanoTime();
                    while (batch.size() < BATCH_SIZE && rs.next()) {
                        batch.add(new Chat(rs.getString(1), rs.getString(3)));
                        docs.add(rs.getString(2));
                    }
                    fetch += System.nanoTime() - s;
                    if (batch.isEmpty()) break;
                    s = System.nanoTime();
                    for (int i = 0; i < batch.size(); i++) {
                        String doc = docs.get(i);
                        if (doc != null) bytes += utf8Length(doc);
                        read(batch.get(i), doc);
                    }
                    docs.clear();
                    parse += System.nanoTime() - s;
                    s = System.nanoTime();
                    if (hasChatMessage) resolveFromRows(c, batch, byCandidate, rowsOf);
                    for (Chat ch : batch) if (ch.resolved == null) resolveFromDocument(ch);
                    lookup += System.nanoTime() - s;
                    s = System.nanoTime();
                    int n = 0;
                    for (Chat ch : batch) {
                        if (ch.resolved != null && !ch.resolved.isEmpty() && !ch.resolved.equals(ch.current)) {
                            write.setString(1, ch.resolved);
                            write.setString(2, ch.id);
                            write.addBatch();
                            n++;
                        }
                    }
                    if (n > 0) write.executeBatch();
                    updated += n;
                    update += System.nanoTime() - s;
                    chats += batch.size();
                    long now = System.nanoTime();
                    if (now - lastReport >= PROGRESS_NANOS) {
                        lastReport = now;
                        out.printf(Locale.ROOT, "  upstream 9a1b2c3d4e5f: %d chats, %.1f MB, %.0f s%n", chats, bytes / 1e6, (now - t0) / 1e9);
                    }
                }
            }
        }
        long s = System.nanoTime();
        try (Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE alembic_version SET version_num = '9a1b2c3d4e5f' WHERE version_num = '856c5b02fb54'");
        }
        c.commit();
        long end = System.nanoTime();
        return new Result((end - t0) / 1e9, fetch / 1e9, parse / 1e9, lookup / 1e9, update / 1e9, (end - s) / 1e9, chats, bytes, updated);
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) n++;
            else if (ch < 0x800) n += 2;
            else if (Character.isHighSurrogate(ch)) { n += 4; i++; }
            else n += 3;
        }
        return n;
    }

    /** The document parsed whole (json.loads), its candidates and message map. */
    private static void read(Chat ch, String doc) {
        JsonNode data = null;
        if (doc != null) {
            JsonNode top = PythonJson.parse(doc);
            if (top.isObject()) {
                data = top;
            } else if (top.isTextual()) {
                try {
                    JsonNode inner = PythonJson.parse(top.textValue());
                    if (inner.isObject()) data = inner;
                } catch (Aborted e) {
                    // json.loads of the inner text failed: ValueError, caught upstream; {}
                }
            }
        }
        JsonNode history = data != null && data.path("history").isObject() ? data.get("history") : null;
        String prefix = ch.id + "-";
        List<JsonNode> candidates = new ArrayList<>(4);
        candidates.add(ch.current == null ? null : PythonJson.MAPPER.getNodeFactory().textNode(ch.current));
        candidates.add(history == null ? null : history.get("currentId"));
        candidates.add(data == null ? null : data.get("currentId"));
        candidates.add(data == null ? null : data.get("branchPointMessageId"));
        for (JsonNode candidate : candidates) {
            if (candidate == null || !candidate.isTextual() || candidate.textValue().isEmpty()) continue;
            String v = candidate.textValue();
            if (v.startsWith(prefix)) v = v.substring(prefix.length());
            if (!ch.candidates.contains(v)) ch.candidates.add(v);
        }
        Map<Object, JsonNode> messages = new LinkedHashMap<>();
        if (history != null && history.path("messages").isObject()) {
            for (Map.Entry<String, JsonNode> e : history.get("messages").properties()) messages.put(e.getKey(), e.getValue());
        }
        if (messages.isEmpty() && data != null && data.path("messages").isArray()) {
            for (JsonNode m : data.get("messages")) {
                if (m.isObject() && PythonJson.truthy(m.get("id"))) messages.put(PythonJson.key(m.get("id")), m);
            }
        }
        if (!messages.isEmpty()) {
            Map<Object, Message> map = new LinkedHashMap<>();
            for (Map.Entry<Object, JsonNode> e : messages.entrySet()) {
                JsonNode m = e.getValue();
                if (m.isObject()) {
                    JsonNode parent = m.get("parentId");
                    map.put(e.getKey(), new Message(parent == null || parent.isNull() ? null : PythonJson.parentKey(parent),
                        PythonJson.time(m.get("timestamp"))));
                } else {
                    map.put(e.getKey(), new Message(null, BigDecimal.ZERO));
                }
            }
            ch.messages = map;
        }
    }

    /** The two lookups of a fetch, in chat_message. */
    private static void resolveFromRows(Connection c, List<Chat> batch, PreparedStatement byCandidate, PreparedStatement rowsOf)
            throws SQLException {
        List<String> ids = new ArrayList<>(batch.size());
        Set<String> candidateIds = new HashSet<>();
        for (Chat ch : batch) {
            ids.add(ch.id);
            for (String cand : ch.candidates) candidateIds.add(ch.id + "-" + cand);
        }
        Array chatIds = c.createArrayOf("text", ids.toArray());
        if (!candidateIds.isEmpty()) {
            Map<String, Set<String>> valid = new HashMap<>();
            byCandidate.setArray(1, chatIds);
            byCandidate.setArray(2, c.createArrayOf("text", candidateIds.toArray()));
            try (ResultSet rs = byCandidate.executeQuery()) {
                while (rs.next()) {
                    String chatId = rs.getString(1), id = rs.getString(2);
                    String prefix = chatId + "-";
                    if (id != null && id.startsWith(prefix)) id = id.substring(prefix.length());
                    if (id != null && !id.isEmpty()) valid.computeIfAbsent(chatId, k -> new HashSet<>()).add(id);
                }
            }
            for (Chat ch : batch) {
                Set<String> v = valid.getOrDefault(ch.id, Set.of());
                for (String cand : ch.candidates) {
                    if (v.contains(cand)) {
                        ch.resolved = cand;
                        break;
                    }
                }
            }
        }
        Map<String, Chat> unresolved = new LinkedHashMap<>();
        for (Chat ch : batch) if (ch.resolved == null) unresolved.put(ch.id, ch);
        if (unresolved.isEmpty()) return;
        Map<String, Map<Object, Message>> byChat = new LinkedHashMap<>();
        rowsOf.setArray(1, c.createArrayOf("text", unresolved.keySet().toArray()));
        try (ResultSet rs = rowsOf.executeQuery()) {
            while (rs.next()) {
                String chatId = rs.getString(1), id = rs.getString(2), parent = rs.getString(3);
                long t = rs.getLong(4);
                String prefix = chatId + "-";
                if (id != null && id.startsWith(prefix)) id = id.substring(prefix.length());
                if (id == null || id.isEmpty()) continue;
                if (parent != null && !parent.isEmpty() && parent.startsWith(prefix)) parent = parent.substring(prefix.length());
                byChat.computeIfAbsent(chatId, k -> new LinkedHashMap<>()).put(id, new Message(parent, BigDecimal.valueOf(t)));
            }
        }
        for (Map.Entry<String, Map<Object, Message>> e : byChat.entrySet()) {
            unresolved.get(e.getKey()).resolved = (String) latestLeaf(e.getValue());
        }
    }

    /** The chats no row resolved: a candidate among the document's keys, else its latest leaf. */
    private static void resolveFromDocument(Chat ch) {
        String valid = null;
        for (String cand : ch.candidates) {
            if (ch.messages.containsKey(cand)) {
                valid = cand;
                break;
            }
        }
        if (valid != null && !valid.isEmpty()) {
            ch.resolved = valid;
        } else if (!ch.messages.isEmpty()) {
            Object leaf = latestLeaf(ch.messages);
            ch.resolved = leaf instanceof PythonJson.NonStr n ? n.json() : (String) leaf;
        }
    }

    /** {@code max(leaf_ids or list(messages), key=created_at or 0)}: the first maximum, in dict order. */
    private static Object latestLeaf(Map<Object, Message> messages) {
        Set<Object> parents = new HashSet<>();
        for (Message m : messages.values()) {
            if (m.parent() instanceof JsonNode n) throw new Aborted("unhashable type: '" + (n.isArray() ? "list" : "dict") + "'");
            if (m.parent() != null && messages.containsKey(m.parent())) parents.add(m.parent());
        }
        boolean anyLeaf = parents.size() < messages.size();
        Object best = null, bestTime = null;
        for (Map.Entry<Object, Message> e : messages.entrySet()) {
            if (anyLeaf && parents.contains(e.getKey())) continue;
            Object t = e.getValue().time();
            if (best == null || PythonJson.greater(t, bestTime)) {
                best = e.getKey();
                bestTime = t;
            }
        }
        return best;
    }
}
