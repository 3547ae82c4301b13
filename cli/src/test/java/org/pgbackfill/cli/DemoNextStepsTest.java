package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue #14: the demo's suggested next steps never put the database URL (and its password) on a command line, where ps shows it. */
class DemoNextStepsTest {
    @Test
    void nextStepsKeepTheUrlInTheEnvironment() {
        String steps = DemoCommand.nextSteps();
        // the launcher, which sets the heap (issue #14: without -Xmx the JVM reached 935 MB), not java -jar
        assertTrue(steps.contains("cli/target/pgbackfill run") && steps.contains("DATABASE_URL exported"), steps);
        assertFalse(steps.contains("java -jar"), steps);
        assertFalse(steps.contains("--database-url"), steps);
        assertFalse(steps.contains("\"$DATABASE_URL\""), steps);
    }
}
