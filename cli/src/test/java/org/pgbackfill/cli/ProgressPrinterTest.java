package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.pgbackfill.run.Phase;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The progress output says when and why the run is held, in the load line too. */
class ProgressPrinterTest {
    @Test
    void aHeldRunSaysWhyInTheProgressLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressPrinter p = new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, false);
        p.phaseStarted(Phase.LOAD);
        p.held("paused (pgbackfill resume continues the run)");
        p.loadProgress(5_000_000, 0.25, 1234);
        p.held(null);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("pgbackfill: holding: paused (pgbackfill resume continues the run)"), out);
        assertTrue(out.contains("load 25.0%") && out.contains("HELD: paused"), out);
        assertTrue(out.contains("no longer held"), out);
    }
}
