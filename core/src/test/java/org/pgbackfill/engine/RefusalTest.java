package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.ProgressListener;

import org.pgbackfill.testing.VersionMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The check phase refuses what it must, with a message that says what to do and its own exit code, and writes nothing. */
@VersionMatrix
class RefusalTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    interface Setup { void apply(Statement st) throws Exception; }

    /** An Open WebUI database at 374d2f66af06 with one chat. */
    private static DatabaseUrl oneChat(String name) throws Exception {
        DatabaseUrl url = pg.createDatabase(name, "");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            OpenWebUiDatabase.insertChat(c, "c1", "u1", "{\"history\":{\"messages\":{\"m\":{\"role\":\"user\"}}}}");
        }
        return url;
    }

    private static BackfillException refusal(String name, Setup setup) throws Exception {
        DatabaseUrl url = pg.createDatabase(name, "");
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            OpenWebUiDatabase.createSchema(c);
            OpenWebUiDatabase.insertChat(c, "c1", "u1", "{\"history\":{\"messages\":{\"m\":{\"role\":\"user\"}}}}");
            setup.apply(st);
        }
        BackfillException e = assertThrows(BackfillException.class,
            () -> new Backfill(BackfillConfig.builder().database(url).workers(1).build()).run());
        try (Connection c = PostgresFixture.connect(url)) {
            assertEquals("f", PipelineAssertions.single(c, "SELECT to_regnamespace('pgbackfill') IS NOT NULL"),
                "a refused run creates nothing");
        }
        return e;
    }

    @Test
    void wrongRevision() throws Exception {
        BackfillException e = refusal("rev", st -> st.execute("UPDATE alembic_version SET version_num = '3781e22d8b01'"));
        assertEquals(BackfillException.Kind.WRONG_REVISION, e.kind());
        assertEquals(BackfillException.Kind.WRONG_REVISION, e.kind());
        assertTrue(e.getMessage().contains("'3781e22d8b01'") && e.getMessage().contains("alembic upgrade 374d2f66af06"), e.getMessage());
    }

    /**
     * The race two processes started together ran into: B's check passes, then A finishes the whole
     * run (and stamps) before B takes the run lock to plan. B must not start a second run over the
     * finished database: nothing to do, exit 0, and the database stays as A left it.
     */
    @Test
    void aRunFinishedByAnotherProcessBeforeThePlanIsNothingToDo() throws Exception {
        DatabaseUrl url = oneChat("race");
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        ProgressListener betweenCheckAndPlan = new ProgressListener() {
            @Override public void phaseStarted(Phase phase) {
                if (phase != Phase.PLAN || !once.compareAndSet(false, true)) return;
                try {
                    new Backfill(BackfillConfig.builder().database(url).workers(1).nowEpoch(1_750_000_000L).build()).run();
                } catch (BackfillException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        BackfillException e = assertThrows(BackfillException.class, () -> new Backfill(BackfillConfig.builder().database(url).workers(1)
            .nowEpoch(1_750_000_000L).progress(betweenCheckAndPlan).build()).run());
        assertEquals(BackfillException.Kind.ALREADY_DONE, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("nothing to do"), e.getMessage());
        try (Connection c = PostgresFixture.connect(url)) {
            assertEquals("1", PipelineAssertions.single(c, "SELECT count(*) FROM pgbackfill.run"), "no second run was started");
            assertEquals("1", PipelineAssertions.single(c, "SELECT count(*) FROM chat_message"));
        }
    }

    /** An Open WebUI database owned by a new role (created with {@code roleOptions}), as a managed server's application user. */
    private record Owned(DatabaseUrl admin, DatabaseUrl asOwner, String role, String database) implements AutoCloseable {
        @Override public void close() throws SQLException {
            try (Connection c = PostgresFixture.connect(PostgresFixture.serverUrl()); Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS \"" + database + "\" WITH (FORCE)");
                st.execute("DROP ROLE IF EXISTS " + role);
            }
        }
    }

    private static Owned owned(String suffix, String roleOptions) throws Exception {
        String role = "pgbt_owner_" + UUID.randomUUID().toString().substring(0, 8);
        DatabaseUrl admin = pg.createDatabase(suffix, "");
        String database = pg.databaseName() + "_" + suffix;
        try (Connection c = PostgresFixture.connect(admin); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw' " + roleOptions);
            st.execute("ALTER DATABASE \"" + database + "\" OWNER TO " + role);
            st.execute("ALTER SCHEMA public OWNER TO " + role);
        }
        DatabaseUrl asOwner = DatabaseUrl.parse(admin.jdbcUrl() + (admin.jdbcUrl().contains("?") ? "&" : "?") + "user=" + role + "&password=pw");
        try (Connection c = PostgresFixture.connect(asOwner)) {
            OpenWebUiDatabase.createSchema(c);
            for (int i = 0; i < 20; i++) {
                OpenWebUiDatabase.insertChat(c, "c" + i, "u1", "{\"history\":{\"messages\":{\"m\":{\"role\":\"user\"}}}}");
            }
        }
        return new Owned(admin, asOwner, role, database);
    }

    /**
     * A hold that cannot see the sessions it counts would never hold: refused until the role may see
     * them. The application connected as another user (here: the admin) is hidden without
     * pg_read_all_stats; as the same user (Open WebUI's DATABASE_URL) it is not, and nothing is refused.
     */
    @Test
    void holdsThatCannotSeeRefuseToStart() throws Exception {
        try (Owned db = owned("holds", ""); Connection app = PostgresFixture.connect(db.admin())) {
            for (BackfillConfig.Builder held : List.of(BackfillConfig.builder().maxActiveSessions(5),
                    BackfillConfig.builder().maxReplicationLagSeconds(30))) {
                BackfillException e = assertThrows(BackfillException.class,
                    () -> new Backfill(held.database(db.asOwner()).workers(1).nowEpoch(1_750_000_000L).build()).run());
                assertEquals(BackfillException.Kind.INSUFFICIENT_PRIVILEGE, e.kind(), e.getMessage());
                assertTrue(e.getMessage().contains("GRANT pg_read_all_stats TO " + db.role()) && e.getMessage().contains("Nothing was written"),
                    e.getMessage());
                assertNothingWritten(db.asOwner());
            }
            try (Statement st = app.createStatement()) {
                st.execute("GRANT pg_read_all_stats TO " + db.role());
            }
            new Backfill(BackfillConfig.builder().maxActiveSessions(5).maxReplicationLagSeconds(30).database(db.asOwner()).workers(1)
                .nowEpoch(1_750_000_000L).build()).run();
        }
    }

    /** Open WebUI connecting as the tool's own user is visible to the active-sessions hold: no grant needed. */
    @Test
    void theActiveSessionsHoldNeedsNoGrantToSeeItsOwnUser() throws Exception {
        try (Owned db = owned("sameuser", ""); Connection app = PostgresFixture.connect(db.asOwner())) {
            RunReport r = new Backfill(BackfillConfig.builder().maxActiveSessions(5).database(db.asOwner()).workers(1)
                .nowEpoch(1_750_000_000L).build()).run();
            assertEquals(20, r.rowsWritten());
        }
    }

    /**
     * A role limited to 12 connections: 32 workers are refused before anything is written, naming the
     * largest number that fits; that many then run to the end within the limit (the estimate is honest).
     */
    @Test
    void aConnectionLimitRefusesTooManyWorkersAndNamesHowManyFit() throws Exception {
        try (Owned db = owned("budget", "CONNECTION LIMIT 12")) {
            BackfillException e = assertThrows(BackfillException.class,
                () -> new Backfill(BackfillConfig.builder().database(db.asOwner()).workers(32).nowEpoch(1_750_000_000L).build()).run());
            assertEquals(BackfillException.Kind.BAD_SETTING, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("for role '" + db.role() + "'") && e.getMessage().contains("at most 2 workers")
                && e.getMessage().contains("Nothing was written"), e.getMessage());
            assertNothingWritten(db.asOwner());
            RunReport report = new Backfill(BackfillConfig.builder().database(db.asOwner()).workers(2).nowEpoch(1_750_000_000L).build()).run();
            assertEquals(20, report.rowsWritten());
        }
    }

    private static void assertNothingWritten(DatabaseUrl url) throws SQLException {
        try (Connection c = PostgresFixture.connect(url)) {
            assertEquals("f", PipelineAssertions.single(c, "SELECT to_regnamespace('pgbackfill') IS NOT NULL"), "a refused run creates nothing");
        }
    }

    @Test
    void stampedWithoutChatMessageIsNamedInconsistent() throws Exception {
        BackfillException e = refusal("stamped", st -> st.execute("UPDATE alembic_version SET version_num = '8452d01d26d7'"));
        assertEquals(BackfillException.Kind.WRONG_REVISION, e.kind());
        assertTrue(e.getMessage().contains("stamped 8452d01d26d7 but has no chat_message table") && e.getMessage().contains("inconsistent")
            && e.getMessage().contains("Restore the backup"), e.getMessage());
    }

    @Test
    void alreadyBackfilledIsNothingToDoWithExitZero() throws Exception {
        DatabaseUrl url = oneChat("done");
        new Backfill(BackfillConfig.builder().database(url).workers(1).nowEpoch(1_750_000_000L).build()).run();
        BackfillException again = assertThrows(BackfillException.class,
            () -> new Backfill(BackfillConfig.builder().database(url).workers(1).build()).run());
        assertEquals(BackfillException.Kind.ALREADY_DONE, again.kind());
        assertEquals(BackfillException.Kind.ALREADY_DONE, again.kind());
        assertTrue(again.getMessage().contains("nothing to do"), again.getMessage());
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE chat_message DROP CONSTRAINT chat_message_chat_id_fkey");
        }
        BackfillException broken = assertThrows(BackfillException.class,
            () -> new Backfill(BackfillConfig.builder().database(url).workers(1).build()).run());
        assertEquals(BackfillException.Kind.WRONG_REVISION, broken.kind());
        assertTrue(broken.getMessage().contains("no validated foreign key") && broken.getMessage().contains("inconsistent"), broken.getMessage());
    }

    @Test
    void notOpenWebUi() throws Exception {
        assertEquals(BackfillException.Kind.NOT_OPEN_WEBUI, refusal("noalembic", st -> st.execute("DROP TABLE alembic_version")).kind());
        BackfillException noChat = refusal("nochat", st -> st.execute("DROP TABLE chat"));
        assertEquals(BackfillException.Kind.NOT_OPEN_WEBUI, noChat.kind());
        assertEquals(BackfillException.Kind.NOT_OPEN_WEBUI, noChat.kind());
        assertTrue(noChat.getMessage().contains("no table 'chat'"), noChat.getMessage());
        BackfillException jsonb = refusal("jsonb", st -> st.execute("ALTER TABLE chat ALTER COLUMN chat TYPE jsonb"));
        assertTrue(jsonb.getMessage().contains("chat.chat is jsonb, expected json"), jsonb.getMessage());
        BackfillException noKey = refusal("nokey", st -> st.execute("ALTER TABLE chat DROP CONSTRAINT chat_pkey"));
        assertTrue(noKey.getMessage().contains("neither a primary key nor a unique constraint"), noKey.getMessage());
    }

    @Test
    void chatMessageAlreadyThere() throws Exception {
        BackfillException e = refusal("target", st -> st.execute("CREATE TABLE chat_message (id text PRIMARY KEY)"));
        assertEquals(BackfillException.Kind.TARGET_EXISTS, e.kind());
        assertEquals(BackfillException.Kind.TARGET_EXISTS, e.kind());
        assertTrue(e.getMessage().contains("DROP TABLE chat_message"), e.getMessage());
    }

    @Test
    void insufficientPrivileges() throws Exception {
        String role = "pgbt_reader_" + UUID.randomUUID().toString().substring(0, 8);
        DatabaseUrl url = pg.createDatabase("priv", "");
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            OpenWebUiDatabase.createSchema(c);
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
            st.execute("GRANT SELECT ON chat, alembic_version TO " + role);
            st.execute("REVOKE CREATE ON DATABASE \"" + url.jdbcUrl().replaceAll(".*/([^/?]+).*", "$1") + "\" FROM PUBLIC");
        }
        try {
            DatabaseUrl asReader = DatabaseUrl.parse(url.jdbcUrl() + (url.jdbcUrl().contains("?") ? "&" : "?") + "user=" + role + "&password=pw");
            BackfillException e = assertThrows(BackfillException.class,
                () -> new Backfill(BackfillConfig.builder().database(asReader).workers(1).build()).run());
            assertEquals(BackfillException.Kind.INSUFFICIENT_PRIVILEGE, e.kind());
            assertEquals(BackfillException.Kind.INSUFFICIENT_PRIVILEGE, e.kind());
            assertTrue(e.getMessage().contains(role) && e.getMessage().contains("lacks"), e.getMessage());
        } finally {
            try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
                st.execute("REVOKE ALL ON chat, alembic_version FROM " + role);
            }
            try (Connection c = PostgresFixture.connect(PostgresFixture.serverUrl()); Statement st = c.createStatement()) {
                st.execute("DROP ROLE IF EXISTS " + role);
            }
        }
    }

    @Test
    void unreachableServerAndMissingDatabase() {
        BackfillException down = assertThrows(BackfillException.class, () -> new Backfill(BackfillConfig.builder()
            .databaseUrl("postgresql://nobody:secret@127.0.0.1:1/none").workers(1).build()).run());
        assertEquals(BackfillException.Kind.CANNOT_CONNECT, down.kind());
        assertEquals(BackfillException.Kind.CANNOT_CONNECT, down.kind());
        assertTrue(!down.getMessage().contains("secret") && down.getMessage().contains("127.0.0.1:1"), down.getMessage());

        DatabaseUrl missing = pg.url().withDatabase("pgbt_missing_" + UUID.randomUUID().toString().substring(0, 8));
        BackfillException e = assertThrows(BackfillException.class,
            () -> new Backfill(BackfillConfig.builder().database(missing).workers(1).build()).run());
        assertEquals(BackfillException.Kind.CANNOT_CONNECT, e.kind());
        assertTrue(e.getMessage().contains("database not found"), e.getMessage());
    }
}
