package org.pgbackfill.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Assertions;

/**
 * Compares what a run left in {@code public.chat_message} with the {@link ReferenceBackfill}
 * expectation, row by row and column by column, and says what differs in words.
 */
public final class ChatMessageComparison {
    /** How many differences a failed assertion lists. */
    public static final int SHOWN = 20;
    private static final int VALUE_CHARS = 120;

    private static final String READ = "SELECT id, chat_id, user_id, role, parent_id, content::text, output::text, "
        + "model_id, files::text, sources::text, embeds::text, done, status_history::text, error::text, usage::text, "
        + "created_at, updated_at FROM public.chat_message";

    private static final List<Column> COLUMNS = List.of(
        text("chat_id", ExpectedRow::chatId), text("user_id", ExpectedRow::userId), text("role", ExpectedRow::role),
        text("parent_id", ExpectedRow::parentId), json("content", ExpectedRow::content), json("output", ExpectedRow::output),
        text("model_id", ExpectedRow::modelId), json("files", ExpectedRow::files), json("sources", ExpectedRow::sources),
        json("embeds", ExpectedRow::embeds), new Column("done", r -> r.done(), null),
        json("status_history", ExpectedRow::statusHistory), json("error", ExpectedRow::error),
        json("usage", ExpectedRow::usage), new Column("created_at", ExpectedRow::createdAt, null),
        new Column("updated_at", ExpectedRow::updatedAt, null));

    private ChatMessageComparison() {}

    /** Fails listing the first {@value #SHOWN} differences between {@code public.chat_message} and the expectation. */
    public static void assertMatches(Connection conn, ReferenceBackfill.Expectation expected) throws SQLException {
        assertMatches(conn, expected.rows());
    }

    public static void assertMatches(Connection conn, Map<String, ExpectedRow> expected) throws SQLException {
        assertNoDifferences("chat_message", differences(expected, read(conn)));
    }

    /** Every difference between {@code public.chat_message} and {@code expected}, in expected-row order then extras. */
    public static List<String> differences(Connection conn, Map<String, ExpectedRow> expected) throws SQLException {
        return differences(expected, read(conn));
    }

    /** All rows of {@code public.chat_message} by id; SQL NULL in a JSON column is Java null. */
    public static Map<String, ExpectedRow> read(Connection conn) throws SQLException {
        Map<String, ExpectedRow> rows = new LinkedHashMap<>();
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(READ)) {
            while (rs.next()) {
                boolean done = rs.getBoolean(12);
                Boolean doneOrNull = rs.wasNull() ? null : done;
                long created = rs.getLong(16);
                Long createdOrNull = rs.wasNull() ? null : created;
                long updated = rs.getLong(17);
                Long updatedOrNull = rs.wasNull() ? null : updated;
                ExpectedRow r = new ExpectedRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                    rs.getString(5), parse(rs.getString(6)), parse(rs.getString(7)), rs.getString(8),
                    parse(rs.getString(9)), parse(rs.getString(10)), parse(rs.getString(11)), doneOrNull,
                    parse(rs.getString(13)), parse(rs.getString(14)), parse(rs.getString(15)), createdOrNull, updatedOrNull);
                rows.put(r.id(), r);
            }
        }
        return rows;
    }

    /** Missing ids, extra ids and per-column differences, each one readable line. */
    public static List<String> differences(Map<String, ExpectedRow> expected, Map<String, ExpectedRow> actual) {
        List<String> out = new ArrayList<>();
        for (ExpectedRow e : expected.values()) {
            ExpectedRow a = actual.get(e.id());
            if (a == null) {
                out.add("missing row " + show(e.id()) + " (chat " + show(e.chatId()) + ", role " + show(e.role()) + ")");
                continue;
            }
            for (Column c : COLUMNS) {
                String d = c.difference(e, a);
                if (d != null) out.add("row " + show(e.id()) + ": " + c.name + " " + d);
            }
        }
        for (ExpectedRow a : actual.values()) {
            if (!expected.containsKey(a.id())) {
                out.add("unexpected row " + show(a.id()) + " (chat " + show(a.chatId()) + ", role " + show(a.role()) + ")");
            }
        }
        return out;
    }

    /**
     * Compares rejections as (chat id, message key, reason) sets; the raw message is compared too
     * when both sides carry one. Useful with whatever the production rejection table holds.
     */
    public static List<String> rejectionDifferences(Collection<ExpectedMessageRejection> expected,
                                                    Collection<ExpectedMessageRejection> actual) {
        Map<List<String>, ExpectedMessageRejection> e = byKey(expected), a = byKey(actual);
        List<String> out = new ArrayList<>();
        e.forEach((k, r) -> {
            ExpectedMessageRejection other = a.get(k);
            if (other == null) out.add("missing rejection " + describe(r));
            else if (r.message() != null && other.message() != null) {
                String d = ExactJson.firstDifference(r.message(), other.message());
                if (d != null) out.add("rejection " + describe(r) + ": raw message " + d);
            }
        });
        a.forEach((k, r) -> {
            if (!e.containsKey(k)) out.add("unexpected rejection " + describe(r));
        });
        return out;
    }

    public static List<String> chatRejectionDifferences(Collection<ExpectedChatRejection> expected,
                                                        Collection<ExpectedChatRejection> actual) {
        Set<ExpectedChatRejection> e = new LinkedHashSet<>(expected), a = new LinkedHashSet<>(actual);
        List<String> out = new ArrayList<>();
        for (ExpectedChatRejection r : e) if (!a.contains(r)) out.add("missing chat rejection " + show(r.chatId()) + " " + r.reason());
        for (ExpectedChatRejection r : a) if (!e.contains(r)) out.add("unexpected chat rejection " + show(r.chatId()) + " " + r.reason());
        return out;
    }

    /** Fails with the count and the first {@value #SHOWN} lines when {@code differences} is not empty. */
    public static void assertNoDifferences(String what, List<String> differences) {
        if (differences.isEmpty()) return;
        StringBuilder sb = new StringBuilder().append(differences.size()).append(" difference(s) in ").append(what)
            .append(" against the reference");
        if (differences.size() > SHOWN) sb.append(" (first ").append(SHOWN).append(')');
        sb.append(':');
        differences.stream().limit(SHOWN).forEach(d -> sb.append("\n  ").append(d));
        Assertions.fail(sb.toString());
    }

    private static Map<List<String>, ExpectedMessageRejection> byKey(Collection<ExpectedMessageRejection> rs) {
        Map<List<String>, ExpectedMessageRejection> m = new LinkedHashMap<>();
        for (ExpectedMessageRejection r : rs) m.put(List.of(r.chatId(), r.messageKey(), r.reason().name()), r);
        return m;
    }

    private static String describe(ExpectedMessageRejection r) {
        return r.reason() + " for chat " + show(r.chatId()) + " message " + show(r.messageKey());
    }

    private static JsonNode parse(String json) {
        if (json == null) return null;
        try {
            return ExactJson.parse(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("PostgreSQL returned JSON that does not parse: " + show(json), e);
        }
    }

    /**
     * A value for a message: quoted, with control characters, NULs and lone surrogates escaped
     * (so they are visible), cut to a readable length; {@code NULL} for SQL NULL.
     */
    static String show(Object value) {
        if (value == null) return "NULL";
        if (!(value instanceof String)) return value.toString();
        String s = (String) value;
        StringBuilder sb = new StringBuilder("'");
        int i = 0;
        for (; i < s.length() && sb.length() < VALUE_CHARS; i++) {
            char c = s.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            if (c < 0x20 || c == 0x7f || (Character.isSurrogate(c) && !pair)) sb.append(String.format("\\u%04x", (int) c));
            else if (pair) sb.append(c).append(s.charAt(++i));
            else sb.append(c);
        }
        sb.append('\'');
        if (i < s.length()) sb.append("…(").append(s.length()).append(" chars)");
        return sb.toString();
    }

    private static Column text(String name, Function<ExpectedRow, String> get) {
        return new Column(name, get::apply, null);
    }

    private static Column json(String name, Function<ExpectedRow, JsonNode> get) {
        return new Column(name, null, get);
    }

    /** One column: compared with equals, or as JSON when {@code json} is set. */
    private record Column(String name, Function<ExpectedRow, Object> plain, Function<ExpectedRow, JsonNode> json) {
        String difference(ExpectedRow e, ExpectedRow a) {
            if (json != null) {
                String d = ExactJson.firstDifference(json.apply(e), json.apply(a));
                return d == null ? null : "differs at " + d;
            }
            Object ev = plain.apply(e), av = plain.apply(a);
            return Objects.equals(ev, av) ? null : "expected " + show(ev) + " but was " + show(av);
        }
    }
}
