package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every bad input a user can hand {@code pgbackfill run}, each with its documented exit code and a
 * message that says what is wrong (README, "Exit codes" and "Troubleshooting"): an unreachable
 * server, credentials the server refuses, a missing database, a database that is not Open
 * WebUI's, a wrong revision, a {@code chat_message} that is not the tool's, insufficient
 * privileges, malformed URLs, invalid values and conflicting flags. The password in the URL never
 * appears in the output, and a refused run creates nothing in the database.
 */
class BadInputTest {
    private static final String PASSWORD = "pw-Hunter2-NeverPrinted";
    private static final Pattern SERVER = Pattern.compile("jdbc:postgresql://([^/?]+)/");

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    private int consumed;

    /** Runs {@code pgbackfill args…} in-process; checks the exit code, the message, and that no password is printed. */
    private String expect(int exitCode, String messageRegex, String... args) {
        int code = Main.execute(args);
        String all = console.output();
        String out = all.substring(consumed);
        consumed = all.length();
        String shown = String.join(" ", args).replace(PASSWORD, "***");
        assertEquals(exitCode, code, "exit code of pgbackfill " + shown + "; output:\n" + out);
        assertTrue(Pattern.compile(messageRegex, Pattern.CASE_INSENSITIVE | Pattern.DOTALL).matcher(out).find(),
            "pgbackfill " + shown + " should say /" + messageRegex + "/; output:\n" + out);
        assertFalse(out.contains(PASSWORD), "the password was printed:\n" + out);
        assertFalse(out.contains("unexpected internal error"), out);
        return out;
    }

    /** host:port of the test server. */
    private static String serverHostPort() {
        Matcher m = SERVER.matcher(PostgresFixture.serverUrl().jdbcUrl());
        assertTrue(m.find(), PostgresFixture.serverUrl().jdbcUrl());
        return m.group(1).contains(":") ? m.group(1) : m.group(1) + ":5432";
    }

    private static void assertNothingCreated(DatabaseUrl url) throws SQLException {
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_regnamespace('pgbackfill') IS NULL AND to_regclass('public.chat_message') IS NULL")) {
            rs.next();
            assertTrue(rs.getBoolean(1), "a refused run created its schema or chat_message");
        }
    }

    private static DatabaseUrl openWebUi(String name, String... sql) throws SQLException {
        DatabaseUrl url = pg.createDatabase(name, "");
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            OpenWebUiDatabase.createSchema(c);
            OpenWebUiDatabase.insertChat(c, "c1", "u1", "{\"history\":{\"messages\":{\"m\":{\"role\":\"user\",\"content\":\"hi\"}}}}");
            for (String s : sql) st.execute(s);
        }
        return url;
    }

    @Test
    void unreachableServerExitsThree() {
        String url = "postgresql://owui:" + PASSWORD + "@127.0.0.1:1/openwebui";
        expect(3, "cannot connect", "run", "--database-url", url, "--quiet");
        expect(3, "cannot connect|connection refused", "verify", "--database-url", url, "--quiet");
    }

    @Test
    void credentialsTheServerRefusesExitThree() throws Exception {
        // Trust authentication accepts any password, but not a role that does not exist (SQLSTATE 28000);
        // a server that checks passwords refuses it with 28P01. Both are refused credentials.
        String role = "pgbt_nosuchuser_" + UUID.randomUUID().toString().substring(0, 8);
        String db = BackfillChecks.databaseName(pg.url());
        expect(3, "credentials", "run", "--database-url", "postgresql://" + role + ":" + PASSWORD + "@" + serverHostPort() + "/" + db, "--quiet");
    }

    @Test
    void missingDatabaseExitsThree() throws Exception {
        DatabaseUrl missing = pg.url().withDatabase("pgbt_missing_" + UUID.randomUUID().toString().substring(0, 8));
        expect(3, "database not found", "run", "--database-url", BackfillChecks.withPassword(missing, PASSWORD), "--quiet");
    }

    @Test
    void emptyDatabaseIsNotOpenWebUiExitsFive() throws Exception {
        expect(5, "no table '(alembic_version|chat)'", "run", "--database-url", BackfillChecks.withPassword(pg.url(), PASSWORD), "--quiet");
        assertNothingCreated(pg.url());
    }

    @Test
    void databaseWithoutChatIsNotOpenWebUiExitsFive() throws Exception {
        DatabaseUrl url = openWebUi("nochat", "DROP TABLE chat");
        expect(5, "no table 'chat'", "run", "--database-url", BackfillChecks.withPassword(url, PASSWORD), "--quiet");
        assertNothingCreated(url);
    }

    @Test
    void wrongRevisionExitsFour() throws Exception {
        DatabaseUrl url = openWebUi("rev", "UPDATE alembic_version SET version_num = '3781e22d8b01'");
        expect(4, "'3781e22d8b01'.*alembic upgrade 374d2f66af06", "run", "--database-url", BackfillChecks.withPassword(url, PASSWORD), "--quiet");
        assertNothingCreated(url);
    }

    @Test
    void betweenTheTwoJobsTheRunSaysWhichRevisionToReachNext() throws Exception {
        DatabaseUrl url = openWebUi("between", "UPDATE alembic_version SET version_num = 'f1e2d3c4b5a6'");
        expect(4, "'f1e2d3c4b5a6', where no pgbackfill job starts.*alembic upgrade 856c5b02fb54", "run", "--database-url",
            BackfillChecks.withPassword(url, PASSWORD), "--quiet");
        assertNothingCreated(url);
    }

    @Test
    void aJobNamedForAnotherRevisionIsRefusedSayingWhereItStarts() throws Exception {
        DatabaseUrl url = openWebUi("named");
        expect(4, "856c5b02fb54", "run", "--job", "current_message_id", "--database-url", BackfillChecks.withPassword(url, PASSWORD), "--quiet");
        assertNothingCreated(url);
        expect(2, "no job 'chat'.*chat_message, current_message_id", "run", "--job", "chat", "--database-url",
            BackfillChecks.withPassword(url, PASSWORD), "--quiet");
    }

    @Test
    void stampedWithoutChatMessageExitsFourAsInconsistent() throws Exception {
        DatabaseUrl url = openWebUi("stamped", "UPDATE alembic_version SET version_num = '8452d01d26d7'");
        expect(4, "stamped 8452d01d26d7 but has no chat_message table.*inconsistent", "run", "--database-url",
            BackfillChecks.withPassword(url, PASSWORD), "--quiet");
    }

    @Test
    void chatMessageThatIsNotTheToolsExitsSix() throws Exception {
        DatabaseUrl url = openWebUi("target", "CREATE TABLE chat_message (id text PRIMARY KEY)");
        expect(6, "chat_message already exists", "run", "--database-url", BackfillChecks.withPassword(url, PASSWORD), "--quiet");
    }

    @Test
    void insufficientPrivilegesExitSeven() throws Exception {
        String role = "pgbt_reader_" + UUID.randomUUID().toString().substring(0, 8);
        DatabaseUrl url = openWebUi("priv");
        String db = BackfillChecks.databaseName(url);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + PASSWORD + "'");
            st.execute("GRANT SELECT ON chat, alembic_version TO " + role);
            st.execute("REVOKE CREATE ON DATABASE \"" + db + "\" FROM PUBLIC");
        }
        try {
            String asReader = url.jdbcUrl() + (url.jdbcUrl().contains("?") ? "&" : "?") + "user=" + role + "&password=" + PASSWORD;
            // issue #14: every missing grant at once (not the first only), with the schema's real name and the GRANTs to run
            String out = expect(7, "'?" + role + "'? lacks SELECT and REFERENCES on table chat; CREATE on schema public \\(to create chat_message\\); "
                + "CREATE on the database \\(to create schema pgbackfill\\); UPDATE on table alembic_version\\..*"
                + "GRANT SELECT, REFERENCES ON chat TO " + role + ";.*GRANT UPDATE ON alembic_version TO " + role + ";",
                "run", "--database-url", asReader, "--quiet");
            assertFalse(out.contains("current_schema()"), out);
            assertNothingCreated(url);
        } finally {
            try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
                st.execute("REVOKE ALL ON chat, alembic_version FROM " + role);
            }
            try (Connection c = PostgresFixture.connect(PostgresFixture.serverUrl()); Statement st = c.createStatement()) {
                st.execute("DROP ROLE IF EXISTS " + role);
            }
        }
    }

    /** Issue #14: with the tool's schema made by an administrator (and no CREATE on the database), plan and run both pass. */
    @Test
    void aToolSchemaMadeByAnAdministratorIsEnough() throws Exception {
        String role = "pgbt_owner_" + UUID.randomUUID().toString().substring(0, 8);
        DatabaseUrl url = openWebUi("preschema");
        String db = BackfillChecks.databaseName(url);
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + PASSWORD + "'");
            st.execute("REVOKE CREATE ON DATABASE \"" + db + "\" FROM PUBLIC");
            st.execute("GRANT SELECT, REFERENCES ON chat TO " + role);
            st.execute("GRANT SELECT, UPDATE ON alembic_version TO " + role);
            st.execute("GRANT CREATE, USAGE ON SCHEMA public TO " + role);
            st.execute("CREATE SCHEMA pgbackfill");
            st.execute("GRANT CREATE, USAGE ON SCHEMA pgbackfill TO " + role);
        }
        try {
            String asOwner = url.jdbcUrl() + (url.jdbcUrl().contains("?") ? "&" : "?") + "user=" + role + "&password=" + PASSWORD;
            expect(0, "nothing was written", "plan", "--database-url", asOwner, "--calibration-seconds", "0.2");
            expect(0, "Alembic revision is now 8452d01d26d7", "run", "--database-url", asOwner, "--quiet");
        } finally {
            try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA pgbackfill CASCADE");
                st.execute("DROP TABLE IF EXISTS chat_message");
                st.execute("REVOKE ALL ON chat, alembic_version FROM " + role);
                st.execute("REVOKE ALL ON SCHEMA public FROM " + role);
            }
            try (Connection c = PostgresFixture.connect(PostgresFixture.serverUrl()); Statement st = c.createStatement()) {
                st.execute("DROP ROLE IF EXISTS " + role);
            }
        }
    }

    static Stream<Arguments> malformedUrls() {
        return Stream.of(
            Arguments.of("mysql://owui:" + PASSWORD + "@db:3306/openwebui", "unsupported database URL scheme"),
            Arguments.of("postgresql://owui:" + PASSWORD + "@127.0.0.1:54x32/openwebui", "malformed port"),
            Arguments.of("postgresql://owui:" + PASSWORD + "@127.0.0.1:5432", "names no database"),
            Arguments.of("postgresql://owui:" + PASSWORD + "@127.0.0.1:5432/", "names no database"),
            Arguments.of("jdbc:mysql://127.0.0.1/openwebui?password=" + PASSWORD, "URL"),
            // typos: the password must stay hidden even when the URL cannot be parsed
            Arguments.of("postgresql//owui:" + PASSWORD + "@db:5432/openwebui", "URL"),
            Arguments.of("owui:" + PASSWORD + "@db:5432/openwebui", "URL"),
            // issue #14: a bad sslmode is bad usage, not "cannot connect"; Unix sockets are said to be unsupported
            Arguments.of("postgresql://owui:" + PASSWORD + "@127.0.0.1:1/openwebui?sslmode=bogus", "unknown sslmode 'bogus'"),
            Arguments.of("postgresql://owui:" + PASSWORD + "@/openwebui?host=/var/run/postgresql", "only TCP"));
    }

    /** Issue #14: picocli echoes an unmatched argument; a URL given positionally by mistake must not show its password. */
    @ParameterizedTest
    @ValueSource(strings = {"run", "status", "plan", "verify"})
    void aUrlGivenPositionallyIsNotEchoedWithItsPassword(String command) {
        String out = expect(2, "Unmatched argument.*postgresql://\\*\\*\\*@db:5432/openwebui.*set DATABASE_URL in the environment",
            command, "postgresql://owui:" + PASSWORD + "@db:5432/openwebui");
        assertFalse(out.contains("owui:"), out);
        expect(2, "Unmatched argument.*password=\\*\\*\\*", command, "jdbc:postgresql://db/openwebui?user=owui&password=" + PASSWORD);
    }

    /** Issue #14: an unencoded '%' in the password (libpq takes it literally) reaches the server, not a URLDecoder error. */
    @Test
    void anUnencodedPercentInThePasswordConnects() {
        String out = expect(3, "127.0.0.1:1 refused", "status", "--database-url", "postgresql://owui:" + PASSWORD + "%zz%@127.0.0.1:1/openwebui");
        assertFalse(out.contains("URLDecoder"), out);
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("malformedUrls")
    void malformedUrlExitsTwo(String url, String message) {
        expect(2, message, "run", "--database-url", url, "--quiet");
        expect(2, message, "verify", "--database-url", url, "--quiet");
    }

    @Test
    void noDatabaseUrlAtAllExitsTwo() {
        assumeTrue(System.getenv("DATABASE_URL") == null, "DATABASE_URL is set in this environment");
        expect(2, "database URL", "run", "--quiet");
    }

    /**
     * Invalid values and flag combinations: refused as bad usage (exit 2) with a message naming what
     * is wrong, before anything touches the database. They run against an empty database, so a value
     * that slipped through would show as exit 5 (not Open WebUI) instead.
     */
    static Stream<Arguments> badFlags() {
        return Stream.of(
            Arguments.of(List.of("--workers", "0"), "workers"),
            Arguments.of(List.of("--workers", "-3"), "workers"),
            Arguments.of(List.of("--workers", "lots"), "workers"),
            Arguments.of(List.of("--writers", "-1"), "writers"),
            Arguments.of(List.of("--writers", "0"), "writers must be between 1 and 64"),
            Arguments.of(List.of("--now-epoch", "99999999999999"), "now-epoch must be epoch seconds between"),
            Arguments.of(List.of("--now-epoch", "1"), "now-epoch must be epoch seconds between"),
            // values only the server can judge: refused before anything is written, with the server's reason
            Arguments.of(List.of("--maintenance-work-mem", "banana"), "maintenance_work_mem = 'banana' is refused by the server"),
            Arguments.of(List.of("--maintenance-work-mem", "99TB"), "maintenance_work_mem = '99TB' is refused by the server.*range"),
            Arguments.of(List.of("--max-transaction-mb", "0"), "transaction"),
            Arguments.of(List.of("--max-transaction-rows", "0"), "transaction"),
            Arguments.of(List.of("--ranges-per-worker", "0"), "ranges"),
            Arguments.of(List.of("--inline-document-mb", "0"), "inline"),
            Arguments.of(List.of("--now-epoch", "-1"), "now"),
            Arguments.of(List.of("--schema", "public"), "schema.*public"),
            Arguments.of(List.of("--schema", "Not-An-Identifier"), "schema"),
            Arguments.of(List.of("--restart", "--schema", "public"), "schema.*public"),
            Arguments.of(List.of("--restart", "--workers", "0"), "workers"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFlags")
    void invalidValuesAndConflictingFlagsExitTwo(List<String> flags, String message) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--database-url", BackfillChecks.withPassword(pg.url(), PASSWORD), "--quiet"));
        args.addAll(flags);
        String out = expect(2, message, args.toArray(String[]::new));
        assertFalse(out.contains("Unknown option"), "every flag used here is documented:\n" + out);
        assertNothingCreated(pg.url());
    }

    @ParameterizedTest(name = "plan --calibration-seconds {0}")
    @ValueSource(strings = {"0", "-2", "601"})
    void planRefusesCalibrationsThatMeasureNothing(String seconds) throws Exception {
        expect(2, "calibration-seconds must be more than 0", "plan", "--database-url", BackfillChecks.withPassword(pg.url(), PASSWORD),
            "--calibration-seconds", seconds);
    }

    /** Flags that are fine alone get past the command line to the database check (here: exit 5, not Open WebUI). */
    static Stream<Arguments> goodFlags() {
        return Stream.of(
            Arguments.of(List.of("--writers", "1")),
            Arguments.of(List.of("--workers", "3", "--writers", "1")),
            Arguments.of(List.of("--restart")),
            Arguments.of(List.of("--restart", "--now-epoch", "1750000000")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goodFlags")
    void validFlagsReachTheDatabaseCheck(List<String> flags) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--database-url", BackfillChecks.withPassword(pg.url(), PASSWORD), "--quiet"));
        args.addAll(flags);
        expect(5, "no table", args.toArray(String[]::new));
        assertNothingCreated(pg.url());
    }
}
