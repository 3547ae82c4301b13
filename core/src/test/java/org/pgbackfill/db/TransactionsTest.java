package org.pgbackfill.db;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.schema.TargetTable;
import org.pgbackfill.testing.PostgresFixture;
import org.postgresql.PGConnection;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A pooled connection whose server session ended (a restart, an administrator's terminate) must
 * surface the server's error (class 08, or 57P01 for a terminate), which the run waits out and resumes from; "Connection is
 * closed" (no SQLSTATE) from a rollback or an auto-commit restore thrown over it ends the run with
 * exit 3. That happened in CI when a restart landed in the build's wait for older snapshots.
 */
class TransactionsTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void aBrokenTransactionKeepsTheServersErrorAndTheRestoreIsQuiet() throws Exception {
        try (Database db = new Database(pg.url(), 2, "transactions-test", new SimpleMeterRegistry(), "10s");
             Connection c = db.connection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SELECT 1");
            }
            terminate(backendPid(c));
            SQLException lost = assertThrows(SQLException.class, () -> {
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT 2");
                }
            });
            assertServerWentAway(lost);
            Transactions.rollbackAfter(c, lost);
            assertEquals(1, lost.getSuppressed().length, "the failed rollback is kept on the server's error");
            Transactions.restoreAutoCommit(c, true);   // must not throw
            assertServerWentAway(lost);
        }
    }

    @Test
    void aSessionEndedWhileWaitingForOlderSnapshotsReportsTheServersError() throws Exception {
        try (Database db = new Database(pg.url(), 2, "transactions-test", new SimpleMeterRegistry(), "10s");
             Connection holder = pg.connect();
             Connection c = db.connection()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("SELECT txid_current()");   // a transaction older than the wait's: forgetDeletedRows waits for it
            }
            int pid = backendPid(c);
            CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
                try {
                    new TargetTable("pgbackfill", "pg_catalog.\"default\"").forgetDeletedRows(c, 60);
                } catch (SQLException e) {
                    throw new CompletionException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CompletionException(e);
                }
            });
            Thread.sleep(1_500);   // in its loop by now (it polls every 500 ms)
            if (waiting.isDone()) fail("forgetDeletedRows did not wait for the older transaction: " + waiting);
            terminate(pid);
            Throwable failure = waiting.handle((v, e) -> e).get(30, TimeUnit.SECONDS);
            assertNotNull(failure, "the wait ended without an error");
            Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
            assertTrue(cause instanceof SQLException, String.valueOf(cause));
            assertServerWentAway((SQLException) cause);
            holder.rollback();
        }
    }

    private static void assertServerWentAway(SQLException e) {
        assertTrue(SqlStates.serverWentAway(e),
            "expected the server's error (class 08 or 57P), which the run waits out, got " + e.getSQLState() + ": " + e.getMessage());
    }

    private static int backendPid(Connection c) throws SQLException {
        return c.unwrap(PGConnection.class).getBackendPID();
    }

    private static void terminate(int pid) throws SQLException {
        try (Connection admin = pg.connect(); Statement st = admin.createStatement()) {
            st.execute("SELECT pg_terminate_backend(" + pid + ")");
        }
    }
}
