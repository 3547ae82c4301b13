package org.pgbackfill.cli;

import org.pgbackfill.testing.VersionMatrix;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.seed.SeedReport;
import org.pgbackfill.testing.PostgresFixture;
import org.pgbackfill.testing.ReferenceBackfill;

import java.sql.Connection;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two {@code pgbackfill run} processes on one database at once (as two operators, or a retry
 * while the first is still going, would start them): they finish one run between them with the
 * exact result. Each must exit 0: one stamps, and the other either stamps the same run too (it
 * found the stamp done by the first) or says truthfully that there was nothing left to do.
 */
@VersionMatrix
class TwoProcessesIT {
    private static final int SIZE_MB = 100;
    private static final Pattern OUTCOME = Pattern.compile("(?s).*(Alembic revision is now 8452d01d26d7|nothing to do"
        + "|finished by another process).*");

    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static ReferenceBackfill.Expectation reference;

    @BeforeAll
    static void seedTemplate() throws Exception {
        SeedReport seeded = BackfillChecks.seed(pg.url(), SIZE_MB, 7);
        try (Connection c = pg.connect()) {
            reference = ReferenceBackfill.run(c, BackfillChecks.NOW);
        }
        log("seeded %s plus the edge-case corpus; reference: %d rows", seeded, reference.rows().size());
    }

    @Test
    void twoRunsStartedTogetherFinishOneRunWithTheExactResult() throws Exception {
        DatabaseUrl url = BackfillChecks.copyOf(pg, pg.databaseName(), "together");
        CliProcess a = CliProcess.start("run A", url, BackfillChecks.runArgs());
        CliProcess b = CliProcess.start("run B", url, BackfillChecks.runArgs());
        try {
            assertBothSucceeded(a, a.waitFor(300), b, b.waitFor(300));
        } finally {
            a.killIfAlive();
            b.killIfAlive();
        }
        BackfillChecks.assertExactResult(url, reference);
    }

    @Test
    void aSecondRunJoiningDuringTheLoadFinishesWithTheExactResult() throws Exception {
        DatabaseUrl url = BackfillChecks.copyOf(pg, pg.databaseName(), "joining");
        CliProcess a = CliProcess.start("run A", url, BackfillChecks.runArgs());
        CliProcess b = null;
        try {
            Optional<CliProcess.Line> load = a.awaitLine(s -> s.startsWith("load"), 120);
            Thread.sleep(500);
            log("run B starts %.1f s after run A (%s)", a.secondsSinceStart(), load.map(l -> "A said '" + l.text() + "' at "
                + String.format(Locale.ROOT, "%.1f s", l.seconds())).orElse("no 'load' line from A"));
            b = CliProcess.start("run B", url, BackfillChecks.runArgs());
            assertBothSucceeded(a, a.waitFor(300), b, b.waitFor(300));
        } finally {
            a.killIfAlive();
            if (b != null) b.killIfAlive();
        }
        BackfillChecks.assertExactResult(url, reference);
    }

    private static void assertBothSucceeded(CliProcess a, int codeA, CliProcess b, int codeB) {
        log("run A: exit %d after %.1f s; run B: exit %d after %.1f s", codeA, a.secondsSinceStart(), codeB, b.secondsSinceStart());
        String both = "run A exited " + codeA + ":\n" + a.output() + "\nrun B exited " + codeB + ":\n" + b.output();
        assertTrue(codeA == 0 || codeB == 0, "neither run succeeded\n" + both);
        assertEquals(0, codeA, "run A failed\n" + both);
        assertEquals(0, codeB, "run B failed\n" + both);
        assertTrue(OUTCOME.matcher(a.output()).matches() && OUTCOME.matcher(b.output()).matches(), "each says what it found\n" + both);
    }

    private static void log(String format, Object... args) {
        System.out.println("[TwoProcessesIT] " + String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
