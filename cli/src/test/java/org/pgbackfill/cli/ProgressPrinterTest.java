package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.pgbackfill.phase.IndexProgress;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the operator sees of the progress: per phase, percent, rate, ETA from the start, log lines apart, ASCII where needed. */
class ProgressPrinterTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream screen = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong nanos = new AtomicLong(1);

    private ProgressPrinter printer(Terminal term) {
        return new ProgressPrinter(term, false, nanos::get);
    }

    private void at(double seconds) { nanos.set(1 + (long) (seconds * 1e9)); }

    private String raw() { return bytes.toString(StandardCharsets.UTF_8); }

    /** The screen as a terminal shows it: "\r\033[K" wipes the line being drawn. */
    private List<String> visibleLines() {
        List<String> lines = new ArrayList<>();
        for (String line : raw().split("\n", -1)) {
            int wipe = line.lastIndexOf("\r\033[K");
            lines.add(wipe < 0 ? line : line.substring(wipe + 4));
        }
        return lines;
    }

    @Test
    void aHeldRunSaysWhyInTheProgressLine() {
        ProgressPrinter p = printer(new Terminal(screen, false, true));
        at(0);
        p.phaseStarted(Phase.LOAD);
        at(5);
        p.held("paused");   // as core says it: the printer adds the command that lifts it
        p.loadProgress(5_000_000, 0.25, 1234);
        p.held(null);
        at(12);
        p.loadProgress(6_000_000, 0.30, 1300);
        String out = raw();
        assertTrue(out.contains("load  25.0%") && out.contains("no ETA while held \u2014 HELD: paused (pgbackfill resume continues the run)"), out);
        // issue #14: a held run showed an ETA that only grew; and the hold was said twice (the log line and this printer's)
        String heldLine = out.lines().filter(l -> l.contains("25.0%")).findFirst().orElseThrow();
        assertFalse(heldLine.matches(".*ETA [0-9].*"), heldLine);
        assertFalse(out.contains("pgbackfill: holding:") || out.contains("pgbackfill: no longer held"), out);
        // continuing: the ETA is back
        assertTrue(out.lines().anyMatch(l -> l.contains("30.0%") && l.contains("ETA") && !l.contains("HELD")), out);
    }

    /** Issue #14: the ETA appeared only after about half the load (5 s into a 10 s load); now from the first second. */
    @Test
    void theLoadShowsPercentRateAndAnEtaFromTheFirstSecond() {
        ProgressPrinter p = printer(new Terminal(screen, true, true));
        at(0);
        p.phaseStarted(Phase.LOAD);
        at(0.5);
        p.loadProgress(1_000_000, 0.01, 10);
        assertTrue(visibleLines().get(visibleLines().size() - 1).contains("ETA: measuring"), raw());
        at(2);
        p.loadProgress(10_000_000, 0.05, 4636);
        String line = visibleLines().get(visibleLines().size() - 1);
        assertEquals("load   5.0%  10.0 MB read at 5.0 MB/s, 4,636 rows written, ETA 38 s", line);
    }

    /** The current_message_id job writes values (one per chat whose column changes), not rows: its lines say so; the first job's still say rows. */
    @Test
    void theSecondJobsLinesCountValues() {
        ProgressPrinter p = printer(new Terminal(screen, true, true));
        p.job("current_message_id", "values");
        at(0);
        p.phaseStarted(Phase.LOAD);
        at(2);
        p.loadProgress(10_000_000, 0.05, 4636);
        assertEquals("load   5.0%  10.0 MB read at 5.0 MB/s, 4,636 values written, ETA 38 s", visibleLines().get(visibleLines().size() - 1));
        p.phaseFinished(new PhaseReport(Phase.LOAD, 12, 240, 24_000_000));
        assertTrue(raw().contains("load done in 12 s (24.0 MB of documents at 2.0 MB/s, 240 values written)"), raw());
        assertFalse(raw().contains("rows"), raw());
        assertEquals("catch-up done in 1.0 s (7 values written)", ProgressPrinter.finished(new PhaseReport(Phase.CATCH_UP, 1, 7, 0), "values"));
        assertEquals("catch-up done in 1.0 s (7 rows written)", ProgressPrinter.finished(new PhaseReport(Phase.CATCH_UP, 1, 7, 0)));
        assertEquals("build done in 0.2 s (staged values merged into chat)",
            ProgressPrinter.finished(new PhaseReport(Phase.BUILD, 0.2, 0, 200_000), "values"));
        assertEquals("build done in 0.2 s (indexes: 0.2 MB)", ProgressPrinter.finished(new PhaseReport(Phase.BUILD, 0.2, 0, 200_000)));
    }

    /** Issue #14: a WARN line was glued onto the progress line ("…4636 rows staged18:27:20 WARN CopyWriter …"). */
    @Test
    void theCatchUpShowsHowManyChangedChatsAreDoneAndAnEta() {
        ProgressPrinter p = printer(new Terminal(screen, true, true));
        at(0);
        p.phaseStarted(Phase.CATCH_UP);
        p.catchUpProgress(1, 0, 2000);
        at(4);
        p.catchUpProgress(1, 800, 2000);
        assertEquals("catch-up pass 1  40.0%  800 of 2,000 changed chats, ETA 6.0 s", visibleLines().get(visibleLines().size() - 1), raw());
    }

    @Test
    void logLinesNeverLandOnTheProgressLine() {
        Terminal term = new Terminal(screen, true, true);
        PrintStream log = term.stream(screen);   // what System.err becomes for the run: the logger prints there
        ProgressPrinter p = printer(term);
        at(0);
        p.phaseStarted(Phase.LOAD);
        at(2);
        p.loadProgress(10_000_000, 0.05, 4636);
        log.println("18:27:20 WARN CopyWriter - rejected message m of chat c1: BAD_DONE");
        List<String> lines = visibleLines();
        assertEquals("18:27:20 WARN CopyWriter - rejected message m of chat c1: BAD_DONE", lines.get(lines.size() - 2), raw());
        assertTrue(lines.get(lines.size() - 1).startsWith("load   5.0%"), "the progress line is drawn again below: " + lines);
        log.print("partial ");
        at(3);
        p.loadProgress(12_000_000, 0.06, 5000);
        log.println("line");
        assertTrue(visibleLines().contains("partial line"), "a line printed in pieces stays whole: " + visibleLines());
    }

    /** Issue #14: under LC_ALL=C every phase line showed '?' glyphs: the console gets plain ASCII. */
    @Test
    void aConsoleThatCannotShowUnicodeGetsAscii() {
        assertFalse(Terminal.canShowUnicode(StandardCharsets.US_ASCII));
        assertTrue(Terminal.canShowUnicode(StandardCharsets.UTF_8));
        Terminal term = new Terminal(screen, true, false);
        ProgressPrinter p = printer(term);
        p.phaseStarted(Phase.PLAN);
        p.held("paused \u2014 for now");
        at(2);
        p.loadProgress(1_000_000, 0.1, 1);
        term.stream(screen).println("stopping (signal received) \u2026");
        String out = raw();
        assertTrue(out.chars().allMatch(c -> c < 128), out);
        assertTrue(out.contains("plan ...") && out.contains("HELD: paused - for now") && out.contains("stopping (signal received) ..."), out);
    }

    /** Without a terminal (a log file): a progress line every few seconds, not every update, and every phase's start and end. */
    @Test
    void withoutATerminalALineEveryFewSeconds() {
        ProgressPrinter p = printer(new Terminal(screen, false, true));
        at(0);
        p.phaseStarted(Phase.LOAD);
        for (int i = 0; i <= 24; i++) {
            at(i * 0.5);
            p.loadProgress(i * 1_000_000L, i / 100.0, i * 10L);
        }
        p.phaseFinished(new PhaseReport(Phase.LOAD, 12, 240, 24_000_000));
        long progressLines = visibleLines().stream().filter(l -> l.startsWith("load ") && l.contains("%")).count();
        assertEquals(3, progressLines, raw());   // at 0, 5 and 10 s
        assertTrue(raw().startsWith("load \u2026\n"), raw());
        assertTrue(raw().contains("load done in 12 s (24.0 MB of documents at 2.0 MB/s, 240 rows written)"), raw());
        assertFalse(raw().contains("\r"), "no redrawing without a terminal");
    }

    /** Issue #14: the build showed nothing until done; now the indexes done and each index's step from the server. */
    @Test
    void theBuildShowsEachIndexAndAnEta() {
        ProgressPrinter p = printer(new Terminal(screen, true, true));
        at(0);
        p.phaseStarted(Phase.BUILD);
        at(10);
        p.buildProgress(3, 8, List.of(IndexProgress.of("chat_message_user_id_idx", "building index: scanning table", 200, 100, 0, 0),
            IndexProgress.of("chat_message_chat_id_idx", "building index: sorting live tuples", 200, 200, 0, 0)));
        String line = visibleLines().get(visibleLines().size() - 1);
        assertTrue(line.startsWith("build  48.8%  3 of 8 indexes done; chat_message_user_id_idx scanning table 50%; "
            + "chat_message_chat_id_idx sorting live tuples, ETA 11 s"), line);
    }

    /** Issue #14: finish printed "build done in 0.0 s (4318.6 MB/s)" and a resumed run a rate for a build it skipped. */
    @Test
    void aBuildShowsNoRateAndASkippedOneSaysSo() {
        assertEquals("build done in 3.2 s (indexes: 120.0 MB)", ProgressPrinter.finished(new PhaseReport(Phase.BUILD, 3.2, 0, 120_000_000)));
        assertEquals("build: already done (by an earlier run or another process), nothing to do",
            ProgressPrinter.finished(PhaseReport.skipped(Phase.BUILD, 0.01, 120_000_000)));
        assertEquals("catch-up done in 1.5 s (4,000 rows written)", ProgressPrinter.finished(new PhaseReport(Phase.CATCH_UP, 1.5, 4000, 0)));
        // a resumed run (finish after run --online) whose ranges were all loaded: it said "0.0 MB of documents at 0.0 MB/s"
        assertEquals("load done in 0.1 s (nothing left to read: every range was loaded before)",
            ProgressPrinter.finished(new PhaseReport(Phase.LOAD, 0.1, 0, 0)));
        assertEquals("load done in 8.0 s (400.0 MB of documents at 50.0 MB/s, 47,000 rows written)",
            ProgressPrinter.finished(new PhaseReport(Phase.LOAD, 8.0, 47_000, 400_000_000)));
        assertEquals("1 worker", BackfillRunner.count(1, "worker"));
        assertEquals("2 writers", BackfillRunner.count(2, "writer"));
    }
}
