package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PgBouncer;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** run, finish and plan through a real PgBouncer in transaction pooling: exit 11, the pooler named, the remedy given, nothing written. */
class PoolerCommandTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    void transactionPoolingIsRefusedByEveryCommandThatWrites() throws Exception {
        try (Connection c = pg.connect()) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, EdgeCaseCorpus.DEFAULT_NOW);
        }
        try (PgBouncer bouncer = PgBouncer.start(PgBouncer.PoolMode.TRANSACTION)) {
            String through = BackfillChecks.withPassword(bouncer.url(pg.url()));
            assertEquals(11, Main.execute("run", "--database-url", through, "--quiet"), console.output());
            assertEquals(11, Main.execute("finish", "--database-url", through, "--quiet"), console.output());
            assertEquals(11, Main.execute("plan", "--database-url", through), console.output());
            String o = console.output();
            assertTrue(o.contains("transaction pooling mode") && o.contains("PgBouncer") && o.contains("session"), o);
            assertFalse(o.contains(BackfillChecks.PASSWORD), o);
        }
        try (Connection c = pg.connect()) {
            assertEquals("f", BackfillChecks.single(c, "SELECT to_regnamespace('pgbackfill') IS NOT NULL"), "nothing written");
        }
    }
}
