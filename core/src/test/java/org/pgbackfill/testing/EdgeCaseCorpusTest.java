package org.pgbackfill.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;

/**
 * Loads the corpus into PostgreSQL (which proves every document is valid {@code json}) and checks
 * the reference against the corpus's hand-written expectations, chat by chat.
 */
@VersionMatrix
class EdgeCaseCorpusTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static final long NOW = EdgeCaseCorpus.DEFAULT_NOW;

    private static final Map<String, Function<ExpectedRow, Object>> TEXT_CHECKS = Map.of(
        "id", ExpectedRow::id, "role", ExpectedRow::role, "parent", ExpectedRow::parentId, "model", ExpectedRow::modelId);
    private static final Map<String, Function<ExpectedRow, JsonNode>> JSON_CHECKS = Map.of(
        "content", ExpectedRow::content, "output", ExpectedRow::output, "files", ExpectedRow::files,
        "sources", ExpectedRow::sources, "embeds", ExpectedRow::embeds, "status", ExpectedRow::statusHistory,
        "error", ExpectedRow::error, "usage", ExpectedRow::usage);

    @Test
    void fixturesAreUniqueAndNamed() {
        List<Fixture> fixtures = EdgeCaseCorpus.fixtures(NOW);
        Set<String> ids = new HashSet<>(), names = new HashSet<>();
        for (Fixture f : fixtures) {
            assertTrue(ids.add(f.chatId()), "duplicate chat id " + f.chatId());
            assertTrue(names.add(f.name()), "duplicate fixture name " + f.name());
        }
        assertTrue(fixtures.size() > 250, "corpus shrank to " + fixtures.size());
    }

    @BeforeAll
    static void load() throws SQLException {
        try (Connection conn = pg.connect()) {
            OpenWebUiDatabase.createSchema(conn);
            EdgeCaseCorpus.load(conn, NOW); // PostgreSQL's json input validates every document here
        }
    }

    @Test
    void referenceMatchesHandWrittenExpectations() throws SQLException {
        try (Connection conn = pg.connect()) {
            assertEquals(EdgeCaseCorpus.cases(NOW).size(), count(conn, "SELECT count(*) FROM chat"));
            ReferenceBackfill.Expectation exp = ReferenceBackfill.run(conn, NOW);
            List<String> problems = new ArrayList<>();
            for (EdgeCaseCorpus.Case c : EdgeCaseCorpus.cases(NOW)) {
                String p = check(c, exp);
                if (p != null) problems.add(c.fixture().name() + " [" + c.fixture().chatId() + "]: " + p);
            }
            ChatMessageComparison.assertNoDifferences("the corpus expectations", problems);
        }
    }

    /** Same table under ICU en-US collation: the same (physical) read order, the same result, although the ids sort differently. */
    @Test
    void nonCCollationGivesTheSameRows() throws SQLException {
        DatabaseUrl icu = pg.createDatabase("icu", PostgresFixture.ICU_EN_US);
        ReferenceBackfill.Expectation c, i;
        try (Connection conn = pg.connect()) {
            c = ReferenceBackfill.run(conn, NOW);
        }
        try (Connection conn = PostgresFixture.connect(icu)) {
            OpenWebUiDatabase.createSchema(conn);
            EdgeCaseCorpus.load(conn, NOW);
            i = ReferenceBackfill.run(conn, NOW);
        }
        assertEquals(c.chatIdsRead(), i.chatIdsRead(), "upstream's order is physical: the collation does not change it");
        try (Connection conn = PostgresFixture.connect(icu); var st = conn.createStatement();
             var rs = st.executeQuery("SELECT string_agg(id, ',' ORDER BY id) = string_agg(id, ',' ORDER BY id COLLATE \"C\") FROM chat")) {
            rs.next();
            assertFalse(rs.getBoolean(1), "the collations should order these ids differently");
        }
        ChatMessageComparison.assertNoDifferences("ICU vs C", ChatMessageComparison.differences(c.rows(), i.rows()));
        ChatMessageComparison.assertNoDifferences("ICU vs C rejections",
            ChatMessageComparison.rejectionDifferences(c.messageRejections(), i.messageRejections()));
    }

    private static String check(EdgeCaseCorpus.Case c, ReferenceBackfill.Expectation exp) {
        String chatId = c.fixture().chatId();
        Map<String, String> want = parse(c.expected());
        boolean read = exp.chatIdsRead().contains(chatId);
        if ("no".equals(want.remove("read"))) return read ? "was read, expected skipped by the user_id predicate" : null;
        if (!read) return "not read";
        List<ExpectedRow> rows = exp.rows().values().stream().filter(r -> r.chatId().equals(chatId)).toList();
        String rejects = exp.messageRejections().stream().filter(r -> r.chatId().equals(chatId))
            .map(r -> r.reason().name()).collect(Collectors.joining(","));
        String chat = exp.chatRejections().stream().filter(r -> r.chatId().equals(chatId))
            .map(r -> r.reason().name()).findFirst().orElse("");
        List<String> out = new ArrayList<>();
        expect(out, "rows", want.remove("rows"), String.valueOf(rows.size()), "0");
        expect(out, "reject", want.remove("reject"), rejects, "");
        expect(out, "chat", want.remove("chat"), chat, "");
        if (!want.isEmpty() && rows.isEmpty()) return "no row to check " + want.keySet();
        for (Map.Entry<String, String> w : want.entrySet()) {
            ExpectedRow r = rows.get(0);
            String k = w.getKey(), v = w.getValue();
            if (k.equals("key")) expect(out, k, v, r.id().substring(chatId.length() + 1), null);
            else if (k.equals("ts")) expect(out, k, v.equals("now") ? String.valueOf(NOW) : v, String.valueOf(r.createdAt()), null);
            else if (k.equals("done")) expect(out, k, v, String.valueOf(r.done()).replace("null", "NULL"), null);
            else if (TEXT_CHECKS.containsKey(k)) {
                Object actual = TEXT_CHECKS.get(k).apply(r);
                if (!Objects.equals(v.equals("NULL") ? null : v, actual)) {
                    out.add(k + " expected " + ChatMessageComparison.show(v) + " but was " + ChatMessageComparison.show(actual));
                }
            } else if (JSON_CHECKS.containsKey(k)) {
                String d = ExactJson.firstDifference(json(v), JSON_CHECKS.get(k).apply(r));
                if (d != null) out.add(k + " " + d);
            } else out.add("unknown expectation key " + k);
        }
        if (!rows.isEmpty() && !Objects.equals(rows.get(0).createdAt(), rows.get(0).updatedAt())) out.add("updated_at != created_at");
        return out.isEmpty() ? null : String.join("; ", out);
    }

    private static void expect(List<String> out, String what, String wanted, String actual, String dflt) {
        String w = wanted == null ? dflt : wanted;
        if (w != null && !w.equals(actual)) out.add(what + " expected " + ChatMessageComparison.show(w) + " but was " + ChatMessageComparison.show(actual));
    }

    private static Map<String, String> parse(String expected) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String token : expected.split(" ")) {
            int eq = token.indexOf('=');
            m.put(token.substring(0, eq), token.substring(eq + 1));
        }
        return m;
    }

    private static JsonNode json(String singleQuoted) {
        try {
            return ExactJson.parse(EdgeCaseCorpus.j(singleQuoted));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bad expectation JSON " + singleQuoted, e);
        }
    }

    static long count(Connection conn, String sql) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
