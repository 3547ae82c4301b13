package org.pgbackfill.job.currentmessage;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Contrived chats for SPEC.md 7: documents written as text (so duplicates, NaN, bad JSON can be said), and rows. */
final class Corpus {
    record Row(String id, String parentId, Long createdAt) { }

    record Case(String chatId, String current, String document, List<Row> rows) {
        List<ChatMessageRow> chatMessageRows() {
            List<ChatMessageRow> out = new ArrayList<>();
            for (Row r : rows) out.add(new ChatMessageRow(r.id(), r.parentId(), r.createdAt()));
            return out;
        }
    }

    private static final String[] CHATS = {"c1", "a-b", "x", "a"};
    private static final String[] KEYS = {"m1", "m2", "m3", "m4", "m5", "", "é", "m1 "};
    private static final String[] ODD_KEYS = {"m\\u0000", "\\ud800x", "\\ud83d\\ude00"};   // as JSON escapes

    private final Random rnd;
    private String chat;

    Corpus(long seed) { this.rnd = new Random(seed); }

    List<Case> cases(int n) {
        List<Case> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(next());
        return out;
    }

    Case next() {
        chat = pick(CHATS);
        String current = switch (rnd.nextInt(6)) {
            case 0, 1 -> null;
            case 2 -> "";
            case 3 -> chat + "-" + pick(KEYS);
            default -> pick(KEYS);
        };
        return new Case(chat, current, documentText(), rows());
    }

    private List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        if (rnd.nextInt(3) == 0) return rows;
        int n = rnd.nextInt(5);
        Set<String> ids = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            String k = pick(KEYS);
            String id = switch (rnd.nextInt(8)) {
                case 0 -> k;                                   // no prefix
                case 1 -> chat + "-";                          // cuts to ""
                case 2 -> chat + "-" + chat + "-" + k;
                default -> chat + "-" + k;
            };
            if (!ids.add(id)) continue;
            String parent = switch (rnd.nextInt(7)) {
                case 0 -> null;
                case 1 -> "";
                case 2 -> "nowhere";
                case 3 -> pick(KEYS);
                default -> chat + "-" + pick(KEYS);
            };
            Long t = switch (rnd.nextInt(5)) {
                case 0 -> null;
                case 1 -> 0L;
                case 2 -> 1_700_000_000L + rnd.nextInt(3);
                default -> (long) rnd.nextInt(3);
            };
            rows.add(new Row(id, parent, t));
        }
        return rows;
    }

    private String documentText() {
        int r = rnd.nextInt(100);
        if (r < 3) return null;
        if (r < 5) return pick(new String[] {"null", "[]", "[1, {\"history\": {}}]", "0", "true", "12.5", "\"\"", "\"[1]\"", "{}"});
        if (r < 6) return pick(new String[] {"{\"a\": ", "{\"a\": +INF}", "{\"a\": -INF}", "[1,]", "\"\\x\"", "{\"a\": 1} x"});
        String doc = object();
        if (r < 8) doc = doc.substring(0, doc.length() - 1) + ",\"deep\":" + nest(rnd.nextBoolean() ? 2000 : 400) + "}";
        else if (r < 9) doc = doc.substring(0, doc.length() - 1) + ",\"big\":" + "7".repeat(rnd.nextBoolean() ? 4301 : 4300) + "}";
        if (rnd.nextInt(8) == 0) {
            if (rnd.nextInt(6) == 0) doc = doc.substring(0, doc.length() / 2);      // inner invalid: counts as {}
            doc = quote(doc);
        }
        return doc;
    }

    private static String nest(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    private String object() {
        List<String> fields = new ArrayList<>();
        fields.add("\"title\":\"t\"");
        if (rnd.nextInt(5) > 0) fields.add("\"history\":" + history());
        if (rnd.nextInt(3) == 0) fields.add("\"currentId\":" + candidate());
        if (rnd.nextInt(3) == 0) fields.add("\"branchPointMessageId\":" + candidate());
        if (rnd.nextInt(2) == 0) fields.add("\"messages\":" + messagesArray());
        if (rnd.nextInt(10) == 0) fields.add("\"history\":" + history());          // duplicate: last wins
        if (rnd.nextInt(12) == 0) fields.add("\"messages\":" + (rnd.nextBoolean() ? "{}" : messagesArray()));
        java.util.Collections.shuffle(fields, rnd);
        return "{" + String.join(",", fields) + "}";
    }

    private String history() {
        if (rnd.nextInt(10) == 0) return pick(new String[] {"null", "[]", "\"h\"", "3"});
        List<String> fields = new ArrayList<>();
        if (rnd.nextInt(4) > 0) fields.add("\"currentId\":" + candidate());
        if (rnd.nextInt(6) > 0) fields.add("\"messages\":" + messageMap());
        if (rnd.nextInt(10) == 0) fields.add("\"messages\":" + messageMap());
        if (rnd.nextInt(10) == 0) fields.add("\"currentId\":" + candidate());
        java.util.Collections.shuffle(fields, rnd);
        return "{" + String.join(",", fields) + "}";
    }

    private String messageMap() {
        if (rnd.nextInt(10) == 0) return pick(new String[] {"[]", "null", "{}", "\"m\""});
        int n = rnd.nextInt(6);
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String key = rnd.nextInt(25) == 0 ? pick(ODD_KEYS) : rnd.nextInt(6) == 0 ? chat + "-" + pick(KEYS) : pick(KEYS);
            String value = rnd.nextInt(12) == 0 ? pick(new String[] {"null", "5", "\"s\"", "[]"}) : message(false);
            entries.add(string(key) + ":" + value);
        }
        return "{" + String.join(",", entries) + "}";
    }

    private String messagesArray() {
        int n = rnd.nextInt(5);
        List<String> elements = new ArrayList<>();
        for (int i = 0; i < n; i++) elements.add(rnd.nextInt(10) == 0 ? pick(new String[] {"null", "\"m1\"", "[]"}) : message(true));
        return "[" + String.join(",", elements) + "]";
    }

    private String message(boolean withId) {
        List<String> fields = new ArrayList<>();
        fields.add("\"role\":\"user\"");
        fields.add("\"content\":\"" + "body ".repeat(rnd.nextInt(4)) + "\"");
        if (withId && rnd.nextInt(8) > 0) fields.add("\"id\":" + id());
        if (rnd.nextInt(5) > 0) fields.add("\"parentId\":" + parent());
        if (rnd.nextInt(6) > 0) fields.add("\"timestamp\":" + time());
        if (rnd.nextInt(15) == 0) fields.add("\"timestamp\":" + time());          // duplicate inside a message
        if (withId && rnd.nextInt(15) == 0) fields.add("\"id\":" + id());
        java.util.Collections.shuffle(fields, rnd);
        return "{" + String.join(",", fields) + "}";
    }

    private String id() {
        return switch (rnd.nextInt(20)) {
            case 0 -> "\"\"";
            case 1 -> "0";
            case 2 -> "null";
            case 3 -> "false";
            case 4 -> "[]";
            case 5 -> rnd.nextInt(3) == 0 ? "[1]" : "{}";
            case 6 -> pick(new String[] {"5", "1", "true", "1.0", "2.5", "1e20", "NaN", "-3", "Infinity"});
            case 7 -> "{\"a\":1}";
            default -> string(rnd.nextInt(5) == 0 ? chat + "-" + pick(KEYS) : pick(KEYS));
        };
    }

    private String parent() {
        return switch (rnd.nextInt(20)) {
            case 0 -> "null";
            case 1 -> "\"nowhere\"";
            case 2 -> rnd.nextInt(4) == 0 ? "[\"m1\"]" : rnd.nextBoolean() ? "{}" : "[]";
            case 3 -> pick(new String[] {"5", "1", "true", "1.0", "NaN", "2.5"});
            case 4 -> string(chat + "-" + pick(KEYS));
            default -> string(pick(KEYS));
        };
    }

    private String time() {
        return switch (rnd.nextInt(24)) {
            case 0 -> "null";
            case 1 -> "true";
            case 2 -> "false";
            case 3 -> "1.5";
            case 4 -> "2.0";
            case 5 -> "NaN";
            case 6 -> rnd.nextBoolean() ? "Infinity" : "-Infinity";
            case 7 -> pick(new String[] {"\"1\"", "\"a\"", "\"\"", "\"b\""});
            case 8 -> pick(new String[] {"[1]", "[1,\"a\"]", "[]", "[1,2]", "[NaN]", "[null]", "[{\"a\":1}]", "[{\"b\":1}]"});
            case 9 -> pick(new String[] {"{}", "{\"a\":1}"});
            case 10 -> "1700000000000";
            case 11 -> "9007199254740993";
            case 12 -> "9007199254740992.0";
            default -> String.valueOf(rnd.nextInt(3));
        };
    }

    private String candidate() {
        return switch (rnd.nextInt(14)) {
            case 0 -> "\"\"";
            case 1 -> "null";
            case 2 -> "5";
            case 3 -> "[\"m1\"]";
            case 4 -> string(chat + "-");
            case 5 -> string(chat + "-" + pick(KEYS));
            case 6 -> rnd.nextInt(3) == 0 ? string(pick(ODD_KEYS)) : string("gone");
            default -> string(pick(KEYS));
        };
    }

    /** A JSON string literal; text in ODD_KEYS is already escaped and goes in as is. */
    private static String string(String s) {
        if (s.contains("\\u")) return "\"" + s + "\"";
        return quote(s);
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    private String pick(String[] a) {
        return a[rnd.nextInt(a.length)];
    }
}
