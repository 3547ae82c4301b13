package org.pgbackfill;

/**
 * What the operator should do next, as a value: core's messages say what happened in sentences
 * for people, and name the next step with one of these. A caller says it in its own words; the
 * command line with its commands and flags (cli's {@code Advice}). Core names no command nor flag.
 */
public enum NextStep {
    /** Do the same again: the run resumes where it stopped, its finished work kept. */
    RESUME,
    /** Start over: the unfinished run is abandoned, and what it built is dropped. */
    RESTART,
    /** Start over with an online run. */
    RESTART_ONLINE,
    /** Start an online run: Open WebUI keeps serving while it loads. */
    START_ONLINE,
    /** Run online again: it catches up with the chats changed since. */
    CATCH_UP,
    /** Stop Open WebUI and finish the online run: the cut-over. */
    FINISH,
    /** With Open WebUI stopped, run offline: the whole backfill, or what is left of an unfinished offline run. */
    RUN_OFFLINE,
    /** Lift the pause: the run continues. */
    UNPAUSE,
    /** See the upgrade path: which revisions Alembic runs and which a job runs. */
    SHOW_PATH
}
