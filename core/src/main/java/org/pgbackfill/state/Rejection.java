package org.pgbackfill.state;

import org.pgbackfill.extract.RejectReason;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/** A rejected message ({@code messageKey} set) or chat ({@code messageKey} null), as stored in the rejection tables. */
public record Rejection(String chatId, String messageKey, RejectReason reason, String detail, byte[] raw) {

    /**
     * Inserts rejections into the run's tables, in the caller's transaction; {@code claims.get(i)}
     * is the range attempt that produced rejection i, or null (the catch-up of an online run).
     */
    /** A rejection and the claim (range and attempt) it was found under; none for the catch-up's. */
    public record Claimed(Rejection rejection, ControlTables.Claim claim) { }

    public static void insertAll(Connection c, String schema, long runId, List<Claimed> rejections) throws SQLException {
        if (rejections.isEmpty()) return;
        try (PreparedStatement m = c.prepareStatement("INSERT INTO " + schema + ".rejected_message (run_id, range_id, attempt, chat_id, "
                 + "message_key, message_key_json, reason, detail, raw_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
             PreparedStatement ch = c.prepareStatement("INSERT INTO " + schema + ".rejected_chat (run_id, range_id, attempt, chat_id, "
                 + "reason, detail, raw_prefix) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < rejections.size(); i++) {
                Rejection r = rejections.get(i).rejection();
                ControlTables.Claim claim = rejections.get(i).claim();
                PreparedStatement ps = r.messageKey() != null ? m : ch;
                int k = 1;
                ps.setLong(k++, runId);
                if (claim == null) {
                    ps.setNull(k++, java.sql.Types.INTEGER);
                    ps.setNull(k++, java.sql.Types.INTEGER);
                } else {
                    ps.setInt(k++, claim.range().id());
                    ps.setInt(k++, claim.attempt());
                }
                ps.setString(k++, r.chatId());
                if (r.messageKey() != null) {
                    ps.setString(k++, textSafe(r.messageKey()));
                    ps.setString(k++, jsonString(r.messageKey()));
                }
                ps.setString(k++, r.reason().name());
                ps.setString(k++, textSafe(r.detail()));
                ps.setString(k, r.raw() == null ? null : new String(r.raw(), StandardCharsets.UTF_8).replace("\u0000", "\\u0000"));
                ps.addBatch();
            }
            m.executeBatch();
            ch.executeBatch();
        }
    }

    /**
     * {@code s} as a JSON string literal, escaped as PostgreSQL's {@code to_json(text)} escapes
     * (so keys recorded in SQL and here read the same), and lone surrogates as {@code \\uXXXX}:
     * TEXT holds it, and any JSON parser gives the key back exactly. Two keys never look the same.
     */
    public static String jsonString(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    boolean pairedHigh = Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
                    boolean pairedLow = Character.isLowSurrogate(ch) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
                    if (ch < ' ' || Character.isSurrogate(ch) && !pairedHigh && !pairedLow) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** The key a {@link #jsonString} (or {@code to_json}) literal holds; {@code fallback} (message_key) where the column is empty (older runs). */
    public static String keyOf(String json, String fallback) {
        if (json == null) return fallback;
        try (com.fasterxml.jackson.core.JsonParser p = new com.fasterxml.jackson.core.JsonFactory().createParser(json)) {
            p.nextToken();
            return p.getText();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("message_key_json is not a JSON string: " + json, e);
        }
    }

    /** TEXT cannot hold NUL or lone surrogates: the rejection tables keep such keys escaped (message_key_json has them exactly). */
    public static String textSafe(String s) {
        if (s == null) return null;
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            boolean bad = ch == 0 || Character.isSurrogate(ch)
                && !(Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)))
                && !(Character.isLowSurrogate(ch) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
            if (bad && b == null) b = new StringBuilder(s.substring(0, i));
            if (b != null) {
                if (bad) b.append(String.format("\\u%04x", (int) ch)); else b.append(ch);
            }
        }
        return b == null ? s : b.toString();
    }
}
