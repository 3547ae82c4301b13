package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.NextStep;
import org.pgbackfill.engine.RunStatus;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Core's next steps and hold causes, said with the command line's commands and flags. */
class AdviceTest {
    @Test
    void aFailureSaysWhatToTypeNext() {
        BackfillException e = new BackfillException(Kind.WRONG_MODE, "run 3 is an online run: an offline run does not complete it",
            NextStep.CATCH_UP, NextStep.FINISH, NextStep.RESTART);
        assertEquals("run 3 is an online run: an offline run does not complete it. Next: run pgbackfill run --online again to catch up "
            + "with the chats changed since; or to cut over, stop Open WebUI and run pgbackfill finish; or start over with pgbackfill run --restart",
            Advice.message(e));
        assertEquals("nothing to add.", Advice.message(new BackfillException(Kind.RUN_FAILED, "nothing to add.")));
        assertTrue(Advice.message(new BackfillException(Kind.RUN_FAILED, "done.", NextStep.RESUME)).startsWith("done. Next: run the same"));
    }

    @Test
    void everyNextStepHasWords() {
        for (NextStep s : NextStep.values()) assertTrue(Advice.words(s).contains("pgbackfill") || Advice.words(s).contains("--"), s.name());
    }

    @Test
    void aHoldNamesTheFlagOfItsLimit() {
        assertEquals("replication lag 45.0 s is above the limit of 30.0 s (--max-replication-lag)",
            Advice.hold("replication lag 45.0 s is above the limit of 30.0 s"));
        assertEquals("3 active sessions of other clients on the database, above the limit of 2 (--max-active-sessions)",
            Advice.hold("3 active sessions of other clients on the database, above the limit of 2"));
        assertEquals("paused (pgbackfill resume continues the run)", Advice.hold("paused"));
        assertEquals("something else", Advice.hold("something else"));
    }

    @Test
    void theStatusEndsWithTheNextSteps() {
        RunStatus held = status(1, false, "replication lag 45.0 s is above the limit of 30.0 s");
        String text = Advice.status(held);
        assertTrue(text.contains("held: replication lag 45.0 s is above the limit of 30.0 s (--max-replication-lag)\n"), text);
        assertTrue(text.endsWith("next: to cut over, stop Open WebUI and run pgbackfill finish\n"), text);

        String stopped = Advice.status(status(0, true, "paused"));
        assertTrue(stopped.contains("held: paused\n"), "a pause's command is a next step, not said twice:\n" + stopped);
        assertTrue(stopped.contains("next: run the same command again (run, or run --online) to resume where it stopped\n"
            + "next: pgbackfill resume continues the run\nnext: to cut over"), stopped);
    }

    private static RunStatus status(int liveProcesses, boolean paused, String holdReason) {
        return new RunStatus(1, "load", false, 1_750_000_000L, "2026-01-01 00:00:00+00", null, 10, Map.of("loading", 1L), 0, 0, 0, 0, 0,
            List.of(), Map.of(), true, paused, holdReason, 0, null, liveProcesses, new RunStatus.Reading(0, 0, 0, 0, 0), "chat_message");
    }
}
