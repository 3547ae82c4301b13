package org.pgbackfill.cli;

import org.pgbackfill.BackfillException;
import org.pgbackfill.NextStep;
import org.pgbackfill.HoldCause;
import org.pgbackfill.engine.RunStatus;

import java.util.stream.Collectors;

/**
 * Core names what to do next as values ({@link NextStep}, {@link HoldCause}) and says what
 * happened in sentences with no command nor flag in them; this class says the rest with this
 * command line's commands and flags. It is the only place that does.
 */
final class Advice {
    private Advice() { }

    /** One next step, as something to type. */
    static String words(NextStep step) {
        return switch (step) {
            case RESUME -> "run the same command again (run, or run --online) to resume where it stopped";
            case RESTART -> "start over with pgbackfill run --restart";
            case RESTART_ONLINE -> "start over online with pgbackfill run --online --restart";
            case START_ONLINE -> "start an online run with pgbackfill run --online";
            case CATCH_UP -> "run pgbackfill run --online again to catch up with the chats changed since";
            case FINISH -> "to cut over, stop Open WebUI and run pgbackfill finish";
            case RUN_OFFLINE -> "with Open WebUI stopped, do the backfill offline with pgbackfill run";
            case UNPAUSE -> "pgbackfill resume continues the run";
            case SHOW_PATH -> "pgbackfill path shows the whole upgrade (pgbackfill path --from <revision> from a revision of your choice)";
        };
    }

    /** A failure's message, then what to do next (when core names it). */
    static String message(BackfillException e) {
        String m = e.getMessage();
        if (e.nextSteps().isEmpty()) return m;
        return m + (m.endsWith(".") ? " " : ". ") + "Next: " + e.nextSteps().stream().map(Advice::words).collect(Collectors.joining("; or "));
    }

    /** The flag that sets the limit a hold crossed, or what lifts a pause; null for a reason with no known cause. */
    static String hint(HoldCause cause) {
        if (cause == null) return null;
        return switch (cause) {
            case PAUSED -> words(NextStep.UNPAUSE);
            case REPLICATION_LAG -> "--max-replication-lag";
            case ACTIVE_SESSIONS -> "--max-active-sessions";
        };
    }

    /** A hold's reason, with its {@link #hint} after it. */
    static String hold(String reason) {
        String hint = hint(HoldCause.of(reason));
        return hint == null ? reason : reason + " (" + hint + ")";
    }

    /** {@code pgbackfill status}'s text: the run as core describes it, the hold's flag, then a line for each next step. */
    static String status(RunStatus s) {
        String text = s.describe();
        HoldCause cause = HoldCause.of(s.holdReason());
        if (cause != null && cause != HoldCause.PAUSED) {
            // a limit's flag; a pause is lifted by the next step below
            text = text.replace("held: " + s.holdReason() + "\n", "held: " + hold(s.holdReason()) + "\n");
        }
        StringBuilder b = new StringBuilder(text);
        for (NextStep step : s.nextSteps()) b.append("next: ").append(words(step)).append('\n');
        return b.toString();
    }
}
