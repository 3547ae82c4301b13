package org.pgbackfill.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.job.currentmessage.CurrentMessageExpectation;
import org.pgbackfill.testing.PgBouncer;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The current_message_id job from the command line where the first job has its hostile tests: through
 * PgBouncer (transaction pooling refused before anything is written; session pooling, offline and online,
 * the reference's result), as a limited role (every missing grant named at once; with the grants README
 * lists, offline and online, the reference's result), and pause, resume and status during a run held
 * by --max-rate, whose progress lines and report count values, not rows.
 */
class SecondJobHostileCommandsTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    private static String single(DatabaseUrl url, String sql) throws Exception {
        try (Connection c = PostgresFixture.connect(url)) {
            return BackfillChecks.single(c, sql);
        }
    }

    @Test
    void throughPgBouncerTransactionPoolingIsRefusedAndSessionPoolingGivesTheReference() throws Exception {
        DatabaseUrl url = CurrentMessageExpectation.database(pg, "pooled", 200, 100);
        CurrentMessageExpectation reference = CurrentMessageExpectation.of(url);
        try (PgBouncer bouncer = PgBouncer.start(PgBouncer.PoolMode.TRANSACTION)) {
            String through = BackfillChecks.withPassword(bouncer.url(url));
            assertEquals(11, Main.execute("run", "--database-url", through, "--quiet"), console.output());
            assertEquals(11, Main.execute("run", "--online", "--database-url", through, "--quiet"), console.output());
            assertEquals(11, Main.execute("finish", "--database-url", through, "--quiet"), console.output());
            String o = console.output();
            assertTrue(o.contains("transaction pooling mode") && o.contains("PgBouncer") && o.contains("session"), o);
            assertFalse(o.contains(BackfillChecks.PASSWORD), o);
        }
        assertEquals("f", single(url, "SELECT to_regnamespace('pgbackfill') IS NOT NULL"), "nothing written");
        assertEquals("856c5b02fb54", single(url, "SELECT version_num FROM alembic_version"));
        try (PgBouncer bouncer = PgBouncer.start(PgBouncer.PoolMode.SESSION)) {
            String through = BackfillChecks.withPassword(bouncer.url(url));
            assertEquals(0, Main.execute("run", "--online", "--database-url", through, "--workers", "2"), console.output());
            assertEquals(0, Main.execute("finish", "--database-url", through), console.output());
        }
        reference.assertExact(url);
        assertEquals("0", single(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "advisory locks left");
    }

    @Test
    void aLimitedRoleIsToldEveryGrantItLacksThenRunsOfflineAndOnline() throws Exception {
        String role = "pgbt_limited_" + UUID.randomUUID().toString().substring(0, 8);
        DatabaseUrl offline = CurrentMessageExpectation.database(pg, "limited", 150, 60);   // the column added by an administrator
        DatabaseUrl online = pg.createDatabase("limited_online", "TEMPLATE \"" + BackfillChecks.databaseName(offline) + "\"");
        CurrentMessageExpectation reference = CurrentMessageExpectation.of(offline);
        String owner = role + "_owner";
        try (Connection c = PostgresFixture.connect(PostgresFixture.serverUrl()); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
            st.execute("CREATE ROLE " + owner + " NOLOGIN");   // Open WebUI's tables' owner (not the tool's role)
        }
        try (Connection c = PostgresFixture.connect(online); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE chat OWNER TO " + owner);
            st.execute("ALTER TABLE chat_message OWNER TO " + owner);
        }
        try {
            String asOffline = as(offline, role), asOnline = as(online, role);
            for (DatabaseUrl u : new DatabaseUrl[] {offline, online}) {
                try (Connection c = PostgresFixture.connect(u); Statement st = c.createStatement()) {
                    st.execute("REVOKE CREATE ON DATABASE \"" + BackfillChecks.databaseName(u) + "\" FROM PUBLIC");
                    st.execute("GRANT SELECT ON alembic_version TO " + role);
                }
            }
            assertEquals(7, Main.execute("run", "--database-url", asOffline, "--quiet"), console.output());
            String refusal = console.output();
            for (String lack : new String[] {"SELECT and UPDATE on table chat", "SELECT on table chat_message", "UPDATE on table alembic_version",
                    "on schema pgbackfill", "GRANT SELECT, UPDATE ON chat TO " + role}) {
                assertTrue(refusal.contains(lack), "the refusal names " + lack + ":\n" + refusal);
            }
            assertEquals("f", single(offline, "SELECT to_regnamespace('pgbackfill') IS NOT NULL"), "nothing written");
            // what README lists for this job (the column exists: no ownership of chat needed)
            for (DatabaseUrl u : new DatabaseUrl[] {offline, online}) {
                try (Connection c = PostgresFixture.connect(u); Statement st = c.createStatement()) {
                    st.execute("GRANT SELECT, UPDATE ON chat TO " + role);
                    st.execute("GRANT SELECT ON chat_message TO " + role);
                    st.execute("GRANT UPDATE ON alembic_version TO " + role);
                    st.execute("GRANT CREATE ON DATABASE \"" + BackfillChecks.databaseName(u) + "\" TO " + role);
                }
            }
            assertEquals(0, Main.execute("run", "--database-url", asOffline, "--workers", "2"), console.output());
            reference.assertExact(offline);

            // online also adds triggers to chat and chat_message, and finish drops them: only their owner may (it used to
            // fail at the cut-over, "must be owner of relation chat", after the whole online run)
            int code = Main.execute("run", "--online", "--database-url", asOnline, "--workers", "2");
            String o = console.output();
            assertEquals(7, code, o);
            assertTrue(o.contains("ownership of table chat ") && o.contains("ownership of table chat_message ")
                && o.contains("GRANT " + owner + " TO " + role + ";"), o);
            assertEquals("f", single(online, "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname LIKE 'pgbackfill%')"), "no capture installed");
            assertEquals("856c5b02fb54", single(online, "SELECT version_num FROM alembic_version"));
            try (Connection c = PostgresFixture.connect(online); Statement st = c.createStatement()) {
                st.execute("GRANT " + owner + " TO " + role);
            }
            assertEquals(0, Main.execute("run", "--online", "--database-url", asOnline, "--workers", "2"), console.output());
            assertEquals(0, Main.execute("finish", "--database-url", asOnline), console.output());
            reference.assertExact(online);
        } finally {
            // (a failure here is printed, not thrown: it would hide the test's own)
            try {
                for (DatabaseUrl u : new DatabaseUrl[] {offline, online}) {
                    try (Connection c = PostgresFixture.connect(u); Statement st = c.createStatement()) {
                        for (String r : new String[] {role, owner}) {
                            st.execute("REASSIGN OWNED BY " + r + " TO CURRENT_USER");
                            st.execute("DROP OWNED BY " + r);
                        }
                    }
                }
                try (Connection c = PostgresFixture.connect(PostgresFixture.serverUrl()); Statement st = c.createStatement()) {
                    st.execute("DROP ROLE IF EXISTS " + role);
                    st.execute("DROP ROLE IF EXISTS " + owner);
                }
            } catch (Exception e) {
                System.err.println("could not remove role " + role + ": " + e);
            }
        }
    }

    private static String as(DatabaseUrl url, String role) {
        return url.jdbcUrl() + (url.jdbcUrl().contains("?") ? "&" : "?") + "user=" + role + "&password=pw";
    }

    @Test
    void pauseResumeAndStatusOfAHeldRunCountValues() throws Exception {
        DatabaseUrl url = CurrentMessageExpectation.database(pg, "paused", 1200, 100);
        CurrentMessageExpectation reference = CurrentMessageExpectation.of(url);
        String db = url.jdbcUrlWithCredentials();
        int seeded = console.output().length();   // the seed's own output (it runs the first job) is not this run's
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> run = pool.submit(() -> Main.execute("run", "--database-url", db, "--workers", "2", "--max-rate", "1"));
            long t0 = System.nanoTime();
            while (!single(url, "SELECT coalesce(to_regclass('pgbackfill.current_message_range') IS NOT NULL, false)").equals("t")
                || single(url, "SELECT count(*) FROM pgbackfill.current_message_range").equals("0")) {
                assertTrue(System.nanoTime() - t0 < 120_000_000_000L && !run.isDone(), "a range was loaded\n" + console.output());
                Thread.sleep(50);
            }
            assertEquals(0, Main.execute("pause", "--database-url", db));
            Thread.sleep(2_500);
            String held = single(url, "SELECT count(*) FROM pgbackfill.current_message_range");
            Thread.sleep(2_000);
            assertEquals(held, single(url, "SELECT count(*) FROM pgbackfill.current_message_range"), "no range is loaded while paused");
            assertEquals(0, Main.execute("status", "--database-url", db));
            String status = console.output();
            assertTrue(status.contains("PAUSED") && status.contains("held: paused") && status.contains("values staged for chat.current_message_id"),
                status);
            assertEquals(0, Main.execute("status", "--database-url", db, "--json"));
            String out = console.output();
            JsonNode json = new ObjectMapper().readTree(out.substring(out.lastIndexOf('{', out.lastIndexOf("\"run_id\""))));
            assertEquals("current_message_id", json.get("job").asText(), json.toString());
            assertTrue(json.get("paused").asBoolean(), json.toString());
            assertEquals(0, Main.execute("resume", "--database-url", db));
            assertEquals(0, run.get());
        } finally {
            pool.shutdownNow();
        }
        String o = console.output().substring(seeded);
        assertTrue(o.contains("holding: paused"), o);
        assertTrue(o.contains("values written") && o.contains("values written by the load") && o.contains("chats with a current_message_id"), o);
        // (the seed's own log, which runs the first job, names rejected_message: console.output() puts standard error last)
        assertFalse(o.contains("rows written") || o.contains("rows in chat_message") || o.contains("indexes"), o);
        assertTrue(o.matches("(?s).*load done in [^\\n]* at 0\\.[0-9] MB/s.*|(?s).*load done in [^\\n]* at 1\\.0 MB/s.*"), "--max-rate 1 held the read rate\n" + o);
        reference.assertExact(url);
    }
}
