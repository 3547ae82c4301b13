package org.pgbackfill.cli;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.seed.ChatSeeder;
import org.pgbackfill.seed.GeneratorOptions;
import org.pgbackfill.seed.SeedReport;
import org.pgbackfill.testing.ChatMessageComparison;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.ExpectedChatRejection;
import org.pgbackfill.testing.ExpectedMessageRejection;
import org.pgbackfill.testing.ExpectedRow;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the process-level tests (crashes, concurrency, faults) share: a seeded database copied per
 * scenario, the command lines, and the check that a finished database holds exactly the
 * independent reference's result. Everything here looks at the database as a user (or Open WebUI)
 * sees it: {@code chat_message}, its indexes and constraints, {@code alembic_version}, the
 * rejection tables the README documents, and {@code pgbackfill verify}'s exit code; nothing reads
 * the tool's control tables.
 */
final class BackfillChecks {
    static final long NOW = 1_750_000_000L;
    static final String BEFORE = "374d2f66af06";
    static final String AFTER = "8452d01d26d7";
    static final String SCHEMA = "pgbackfill";
    /** A value (or the values of one multi-column index) shorter than this can never be too large for a btree entry (about 2,704 bytes). */
    private static final int SURELY_FITS_AN_INDEX = 2000;

    private BackfillChecks() { }

    /**
     * The share of each test's seeded size to use, in percent ({@code -Dpgbackfill.test.size-percent},
     * default 100): the version matrix in {@code .ci/run} runs the process-level tests on less data.
     */
    static final int SIZE_PERCENT = Math.max(10, Integer.getInteger("pgbackfill.test.size-percent", 100));

    /**
     * Fills an empty database with {@code sizeMb} MB of generated Open WebUI chats (5% carrying an
     * edge case) and then the 318-chat edge-case corpus.
     */
    static SeedReport seed(DatabaseUrl url, int sizeMb, long seed) throws SQLException {
        long bytes = sizeMb * 1_000_000L * SIZE_PERCENT / 100;
        try (Connection a = PostgresFixture.connect(url); Connection b = PostgresFixture.connect(url)) {
            SeedReport r = new ChatSeeder(GeneratorOptions.builder().seed(seed).targetBytes(bytes)
                .edgeCaseShare(0.05).build()).seed(List.of(a, b));
            EdgeCaseCorpus.load(a, NOW);
            try (Statement st = a.createStatement()) {
                st.execute("ANALYZE chat");
            }
            return r;
        }
    }

    /** A copy of the {@code template} database (which nobody may be connected to), dropped with the fixture. */
    static DatabaseUrl copyOf(PostgresFixture pg, String template, String suffix) throws Exception {
        String strategy = PostgresFixture.serverVersionNum() >= 150000 ? " STRATEGY FILE_COPY" : "";
        SQLException last = null;
        for (int attempt = 0; attempt < 40; attempt++) {
            try {
                return pg.createDatabase(suffix + (attempt == 0 ? "" : "_" + attempt), "TEMPLATE \"" + template + "\"" + strategy);
            } catch (SQLException e) {   // an autovacuum worker may still be in the template ("being accessed by other users")
                if (!"55006".equals(e.getSQLState())) throw e;
                last = e;
                Thread.sleep(250);
            }
        }
        throw last;
    }

    static String databaseName(DatabaseUrl url) throws SQLException {
        try (Connection c = PostgresFixture.connect(url)) {
            return single(c, "SELECT current_database()");
        }
    }

    /** A password for URLs whose user has none (trust authentication ignores it; it must still never be printed). */
    static final String PASSWORD = "hunter2";

    /** {@code url}'s password, or {@link #PASSWORD}: what the output must never show. */
    static String password(DatabaseUrl url) {
        return url.properties().getProperty("password", PASSWORD);
    }

    /** {@code url} as a JDBC URL with its user and a password ({@link #password}), for the command line of in-process tests. */
    static String withPassword(DatabaseUrl url) {
        return withPassword(url, PASSWORD);
    }

    /** {@code url} as a JDBC URL with its user and its password, or {@code password} where it has none. */
    static String withPassword(DatabaseUrl url, String password) {
        String u = url.jdbcUrlWithCredentials();
        if (url.properties().getProperty("password") != null) return u;
        return u + (u.contains("?") ? "&" : "?") + "password=" + password;
    }

    /** {@code run --workers 2 --now-epoch 1750000000 extra…} (the database: {@link CliProcess}'s DATABASE_URL) */
    static String[] runArgs(String... extra) {
        List<String> a = new ArrayList<>(List.of("run", "--workers", "2", "--now-epoch", Long.toString(NOW)));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /**
     * Waits until no client session is connected to {@code database} any more (after a SIGKILL the
     * server notices the closed sockets and ends the sessions, rolling back what was open).
     */
    static void awaitNoClients(String database, double timeoutSeconds) throws Exception {
        awaitNoClients(database, timeoutSeconds, null);
    }

    /** The same, but sessions whose application_name is {@code application} (an application writing meanwhile) may stay; null: none. */
    static void awaitNoClients(String database, double timeoutSeconds, String application) throws Exception {
        long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
        String sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
            + "AND application_name IS DISTINCT FROM ?";
        while (true) {
            try (Connection c = PostgresFixture.connect(PostgresFixture.serverUrl()); PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, database);
                ps.setString(2, application);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0) return;
                }
            }
            if (System.nanoTime() > deadline) fail("sessions of a dead pgbackfill process are still connected to " + database
                + " " + timeoutSeconds + " s later");
            Thread.sleep(50);
        }
    }

    /** The one version in {@code alembic_version} (fails if there is not exactly one row). */
    static String alembicRevision(Connection c) throws SQLException {
        List<String> v = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT version_num FROM alembic_version")) {
            while (rs.next()) v.add(rs.getString(1));
        }
        assertEquals(1, v.size(), "alembic_version must hold exactly one row, holds " + v);
        return v.get(0);
    }

    /**
     * Everything a finished run must leave, checked against the independent reference: the stamp;
     * {@code chat_message} row by row and column by column; the message and chat rejections as
     * multisets (so a rejection recorded twice shows); no duplicate row ids; upstream's indexes (all
     * valid) and the validated foreign key; no UNLOGGED (staging) table left in the tool's schema
     * and nothing of the tool's in {@code public}; and {@code pgbackfill verify} exits 0.
     *
     * <p>The reference does not model PostgreSQL's btree size limit: a row the run recorded as
     * {@code INDEX_ROW_TOO_LARGE} is taken out of the expected rows and expected among the
     * rejections, provided that row really has indexed values of at least 2,000 bytes (below that
     * no index entry can be too large, so such a rejection would be a loss).
     */
    static void assertExactResult(DatabaseUrl url, ReferenceBackfill.Expectation ref) throws Exception {
        try (Connection c = PostgresFixture.connect(url)) {
            assertEquals(AFTER, alembicRevision(c), "the finished run stamps the database");
            List<String[]> messageRejections = messageRejections(c);
            Map<String, ExpectedRow> rows = new LinkedHashMap<>(ref.rows());
            Map<List<String>, Integer> expectedRejections = new LinkedHashMap<>();
            for (ExpectedMessageRejection r : ref.messageRejections()) {
                expectedRejections.merge(List.of(r.chatId(), r.messageKey(), r.reason().name()), 1, Integer::sum);
            }
            for (String[] r : messageRejections) {
                if (!"INDEX_ROW_TOO_LARGE".equals(r[2])) continue;
                String key = r[1];
                ExpectedRow row = rows.remove(r[0] + "-" + key);
                assertTrue(row != null, "INDEX_ROW_TOO_LARGE recorded for chat " + r[0] + " message " + abbreviate(r[1])
                    + ", which is not a row the reference expects");
                assertTrue(indexedBytes(row) >= SURELY_FITS_AN_INDEX, "INDEX_ROW_TOO_LARGE recorded for row " + abbreviate(row.id())
                    + " whose indexed values take only " + indexedBytes(row) + " bytes: it fits any index, so it was lost");
                expectedRejections.merge(List.of(r[0], key, r[2]), 1, Integer::sum);
            }
            ChatMessageComparison.assertMatches(c, rows);
            ChatMessageComparison.assertNoDifferences("message rejections (" + SCHEMA + ".rejected_message)",
                multisetDifferences(expectedRejections, messageRejections));
            Map<List<String>, Integer> expectedChats = new LinkedHashMap<>();
            for (ExpectedChatRejection r : ref.chatRejections()) expectedChats.merge(List.of(r.chatId(), r.reason().name()), 1, Integer::sum);
            ChatMessageComparison.assertNoDifferences("chat rejections (" + SCHEMA + ".rejected_chat)",
                multisetDifferences(expectedChats, chatRejections(c)));
            assertEquals("0", single(c, "SELECT count(*) - count(DISTINCT id) FROM public.chat_message"), "duplicate ids in chat_message");
            assertTargetSchema(c);
            assertNoLeftovers(c);
        }
        assertVerifyPasses(url);
    }

    /** Bytes of the largest index entry the row would make (the widest of upstream's eight indexes). */
    private static int indexedBytes(ExpectedRow r) {
        int id = bytes(r.id()), chat = bytes(r.chatId()), user = bytes(r.userId()), parent = bytes(r.parentId()), model = bytes(r.modelId());
        return Math.max(Math.max(id, chat + parent), Math.max(user, model));
    }

    private static int bytes(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** {@code (chat_id, key, reason)} of every row of the rejection table, in no order; the key exactly (from message_key_json). */
    static List<String[]> messageRejections(Connection c) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT chat_id, message_key_json, reason, raw_json FROM " + SCHEMA + ".rejected_message")) {
            while (rs.next()) {
                assertTrue(rs.getString(4) != null && !rs.getString(4).isEmpty(),
                    "a message rejection keeps the raw message JSON: chat " + rs.getString(1) + " " + rs.getString(3));
                assertTrue(rs.getString(2) != null, "a message rejection keeps its key exactly, as JSON: chat " + rs.getString(1));
                try {
                    out.add(new String[] {rs.getString(1), JSON.readValue(rs.getString(2), String.class), rs.getString(3)});
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new AssertionError("message_key_json is not a JSON string: " + rs.getString(2), e);
                }
            }
        }
        return out;
    }

    /** {@code (chat_id, reason)} of every row of the chat rejection table. */
    static List<String[]> chatRejections(Connection c) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT chat_id, reason FROM " + SCHEMA + ".rejected_chat")) {
            while (rs.next()) out.add(new String[] {rs.getString(1), rs.getString(2)});
        }
        return out;
    }

    /**
     * Matches each actual row (message keys exactly, from message_key_json) against the expected
     * multiset; what is left over either way is a difference, so a row recorded twice shows as
     * "unexpected (or recorded more than once)".
     */
    static List<String> multisetDifferences(Map<List<String>, Integer> expected, List<String[]> actual) {
        Map<List<String>, Integer> left = new LinkedHashMap<>(expected);
        List<String> out = new ArrayList<>();
        for (String[] a : actual) {
            List<String> row = List.of(a);
            if (left.getOrDefault(row, 0) > 0) left.merge(row, -1, Integer::sum);
            else out.add("unexpected (or recorded more than once): " + describe(row));
        }
        left.forEach((k, n) -> {
            for (int i = 0; i < n; i++) out.add("missing: " + describe(k));
        });
        return out;
    }

    private static String describe(List<String> t) {
        return t.size() == 3 ? t.get(2) + " for chat " + abbreviate(t.get(0)) + " message " + abbreviate(t.get(1))
            : t.get(1) + " for chat " + abbreviate(t.get(0));
    }

    static String abbreviate(String s) {
        if (s == null) return "NULL";
        StringBuilder b = new StringBuilder("'");
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 || Character.isSurrogate(ch)) b.append(String.format("\\u%04x", (int) ch)); else b.append(ch);
        }
        return b.append(s.length() > 79 ? "…'" : "'").toString();
    }


    /** SPEC.md section 4: the primary key, the seven indexes (all valid and ready), the validated foreign key, the columns. */
    static void assertTargetSchema(Connection c) throws SQLException {
        org.pgbackfill.testing.UpstreamSchema.assertChatMessage(c);
    }

    /** No UNLOGGED (staging) table left in the tool's schema; nothing of the tool's in public. */
    static void assertNoLeftovers(Connection c) throws SQLException {
        assertEquals("", single(c, "SELECT coalesce(string_agg(c.relname, ', ' ORDER BY c.relname), '') FROM pg_class c "
            + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" + SCHEMA + "' AND c.relpersistence = 'u' "
            + "AND c.relkind IN ('r', 'p')"), "UNLOGGED staging tables left behind in " + SCHEMA + " after the run finished");
        assertEquals("alembic_version, chat, chat_message", single(c, "SELECT string_agg(tablename, ', ' ORDER BY tablename) "
            + "FROM pg_tables WHERE schemaname = 'public'"), "tables in public");
    }

    /** {@code pgbackfill verify} (a separate process) exits 0. */
    static void assertVerifyPasses(DatabaseUrl url) throws Exception {
        CliProcess v = CliProcess.runToEnd("verify", url, 300, "verify",
            "--workers", "2", "--now-epoch", Long.toString(NOW), "--quiet");
        assertEquals(0, v.exitCode(), "pgbackfill verify:\n" + v.output());
    }

    /**
     * The rejection tables as sorted multisets of {@code chat_id|message_key|reason} and
     * {@code chat_id|reason}: equal for two databases when they hold the same rejections, each as
     * many times.
     */
    record Rejections(List<String> messages, List<String> chats) { }

    static Rejections rejections(DatabaseUrl url) throws SQLException {
        try (Connection c = PostgresFixture.connect(url)) {
            List<String> m = new ArrayList<>(), ch = new ArrayList<>();
            for (String[] r : messageRejections(c)) m.add(abbreviate(r[0]) + "|" + abbreviate(r[1]) + "|" + r[2]);
            for (String[] r : chatRejections(c)) ch.add(abbreviate(r[0]) + "|" + r[1]);
            m.sort(null);
            ch.sort(null);
            return new Rejections(m, ch);
        }
    }

    /** The tool's rejections that differ between two databases, as readable lines. */
    static List<String> rejectionDifferences(Rejections expected, Rejections actual) {
        List<String> out = new ArrayList<>();
        diff("message rejection", expected.messages(), actual.messages(), out);
        diff("chat rejection", expected.chats(), actual.chats(), out);
        return out;
    }

    private static void diff(String what, List<String> expected, List<String> actual, List<String> out) {
        Map<String, Integer> n = new TreeMap<>();
        for (String e : expected) n.merge(e, 1, Integer::sum);
        for (String a : actual) n.merge(a, -1, Integer::sum);
        n.forEach((k, d) -> {
            if (d > 0) out.add(what + " missing " + d + "x: " + k);
            if (d < 0) out.add(what + " extra " + (-d) + "x: " + k);
        });
    }

    /** Names of the tables in the tool's schema (for messages). */
    static TreeSet<String> toolTables(Connection c) throws SQLException {
        TreeSet<String> t = new TreeSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT tablename FROM pg_tables WHERE schemaname = '" + SCHEMA + "'")) {
            while (rs.next()) t.add(rs.getString(1));
        }
        return t;
    }

    static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), "no row from " + sql);
            return rs.getString(1);
        }
    }
}
