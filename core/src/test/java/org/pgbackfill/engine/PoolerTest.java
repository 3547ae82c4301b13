package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.db.SessionCheck;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PgBouncer;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;
import org.pgbackfill.testing.VersionMatrix;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Through a real PgBouncer: in transaction or statement pooling the run refuses before it writes
 * anything and leaves the pool's server sessions as it found them; in session pooling the result is
 * the reference's, and no lock of the tool's is left on the server.
 */
@VersionMatrix
class PoolerTest {
    static final long NOW = EdgeCaseCorpus.DEFAULT_NOW;

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void aDirectConnectionIsOneSessionPerConnection() throws Exception {
        assertEquals(SessionCheck.Pooling.NONE, SessionCheck.detect(() -> PostgresFixture.connect(pg.url())));
    }

    @Test
    void transactionPoolingIsRefusedAndLeavesNothingBehind() throws Exception {
        DatabaseUrl url = corpus("tx");
        try (PgBouncer bouncer = PgBouncer.start(PgBouncer.PoolMode.TRANSACTION)) {
            DatabaseUrl through = bouncer.url(url);
            assertEquals(SessionCheck.Pooling.TRANSACTION, SessionCheck.detect(() -> PostgresFixture.connect(through)));
            BackfillException e = assertThrows(BackfillException.class, () -> new Backfill(config(through)).run());
            assertEquals(BackfillException.Kind.POOLER, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("transaction pooling") && e.getMessage().contains("PgBouncer")
                && e.getMessage().contains("session") && e.getMessage().contains("Nothing was written"), e.getMessage());
            assertUntouched(url);
            assertServerSessionsClean(through, 4);
        }
    }

    @Test
    void statementPoolingIsRefused() throws Exception {
        DatabaseUrl url = corpus("stmt");
        try (PgBouncer bouncer = PgBouncer.start(PgBouncer.PoolMode.STATEMENT)) {
            DatabaseUrl through = bouncer.url(url);
            assertEquals(SessionCheck.Pooling.STATEMENT, SessionCheck.detect(() -> PostgresFixture.connect(through)));
            BackfillException e = assertThrows(BackfillException.class, () -> new Backfill(config(through)).run());
            assertEquals(BackfillException.Kind.POOLER, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("statement pooling"), e.getMessage());
            assertUntouched(url);
        }
    }

    @Test
    void sessionPoolingGivesTheExactResultAndKeepsNoLock() throws Exception {
        DatabaseUrl url = corpus("session");
        ReferenceBackfill.Expectation expected;
        try (Connection c = PostgresFixture.connect(url)) {
            expected = ReferenceBackfill.run(c, NOW);
        }
        try (PgBouncer bouncer = PgBouncer.start(PgBouncer.PoolMode.SESSION)) {
            DatabaseUrl through = bouncer.url(url);
            assertEquals(SessionCheck.Pooling.NONE, SessionCheck.detect(() -> PostgresFixture.connect(through)));
            RunReport report = new Backfill(config(through)).run();
            assertEquals(expected.rows().size(), report.rowsWritten());
            try (Connection c = PostgresFixture.connect(url)) {
                PipelineAssertions.assertFinishedRun(c, expected, "pgbackfill");
                assertEquals(0, count(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "advisory locks left");
            }
            assertServerSessionsClean(through, 4);
        }
    }

    private static BackfillConfig config(DatabaseUrl url) {
        return BackfillConfig.builder().database(url).workers(2).nowEpoch(NOW).rangesPerWorker(3).build();
    }

    private static DatabaseUrl corpus(String name) throws Exception {
        DatabaseUrl url = pg.createDatabase(name, "");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, NOW);
        }
        return url;
    }

    private static void assertUntouched(DatabaseUrl url) throws SQLException {
        try (Connection c = PostgresFixture.connect(url)) {
            assertEquals(0, count(c, "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgbackfill'"), "the tool's schema");
            assertEquals(0, count(c, "SELECT count(*) FROM pg_class WHERE relname = 'chat_message'"), "chat_message");
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT version_num FROM alembic_version")) {
                rs.next();
                assertEquals("374d2f66af06", rs.getString(1));
            }
            assertEquals(0, count(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "advisory locks left");
        }
    }

    /**
     * {@code clients} clients at once, each in a transaction (so each on a server session of its
     * own, whatever the mode), find none of the tool's settings on their sessions.
     */
    private static void assertServerSessionsClean(DatabaseUrl through, int clients) throws SQLException {
        List<Connection> open = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                Connection c = PostgresFixture.connect(through);
                open.add(c);
                c.setAutoCommit(false);
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_setting('pgbackfill.session_marker', true), "
                        + "current_setting('pgbackfill.backend_pid', true), current_setting('lock_timeout')")) {
                    rs.next();
                    String where = "server session " + i + " of the pool";
                    assertTrue(rs.getString(1) == null || rs.getString(1).isEmpty(), where + " carries the session check's marker");
                    assertTrue(rs.getString(2) == null || rs.getString(2).isEmpty(), where + " carries the run's backend setting");
                    assertEquals("0", rs.getString(3), where + " carries the run's lock_timeout");
                }
            }
        } finally {
            for (Connection c : open) {
                c.rollback();
                c.close();
            }
        }
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
