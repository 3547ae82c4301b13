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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two {@code pgbackfill run} processes on one database at once (as two operators, or a retry
 * while the first is still going, would start them): they finish one run between them with the
 * exact result. Each must exit 0: one stamps, and the other either stamps the same run too (it
 * found the stamp done by the first) or says truthfully that there was nothing left to do. (The
 * current_message_id job's two runs are in {@link SecondJobFaultsIT}, on its seeded template.)
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

    /**
     * Three processes started together, round after round, on a small database with the corpus's
     * ids too long for an index and ids two chats share (so the build sets rows aside and builds
     * again): every process exits 0 saying what it found, every round ends exact.
     */
    @Test
    void threeRunsStartedTogetherRoundAfterRound() throws Exception {
        DatabaseUrl small = pg.createDatabase("small", "");
        BackfillChecks.seed(small, 8, 11);
        ReferenceBackfill.Expectation expected;
        try (Connection c = PostgresFixture.connect(small)) {
            expected = ReferenceBackfill.run(c, BackfillChecks.NOW);
        }
        String template = BackfillChecks.databaseName(small);
        for (int round = 1; round <= 3; round++) {
            DatabaseUrl url = BackfillChecks.copyOf(pg, template, "round" + round);
            List<CliProcess> runs = new ArrayList<>();
            try {
                for (String name : List.of("A", "B", "C")) runs.add(CliProcess.start("round " + round + " run " + name, url, BackfillChecks.runArgs()));
                StringBuilder all = new StringBuilder();
                List<Integer> codes = new ArrayList<>();
                for (CliProcess p : runs) {
                    codes.add(p.waitFor(300));
                    all.append(p.label()).append(" exited ").append(codes.get(codes.size() - 1)).append(":\n").append(p.output()).append('\n');
                }
                log("round %d: exits %s", round, codes);
                for (int i = 0; i < runs.size(); i++) {
                    assertEquals(0, codes.get(i), runs.get(i).label() + " failed\n" + all);
                    assertTrue(OUTCOME.matcher(runs.get(i).output()).matches(), runs.get(i).label() + " says what it found\n" + all);
                }
            } finally {
                for (CliProcess p : runs) p.killIfAlive();
            }
            BackfillChecks.assertExactResult(url, expected);
        }
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
