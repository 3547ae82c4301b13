package org.pgbackfill.phase;

/** The phases of a backfill, in order. Each is recorded in the control table when it completes. */
public enum Phase {
    CHECK, PLAN, LOAD,
    /**
     * The reconciliation: each loaded range's rows are checked against what was read, and ranges
     * that differ are loaded again; the others are settled. Earlier versions called it "merge"
     * (from a staging design that is gone) and stored that word in run.phase: {@link #of} reads it.
     */
    SETTLE,
    BUILD,
    /** Online runs only: the chats the application changed since they were read, extracted again. */
    CATCH_UP,
    STAMP;

    public String label() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }

    /** The phase of a {@link #label()}. */
    public static Phase of(String label) {
        if ("merge".equals(label)) return SETTLE;   // stored by earlier versions: a run they started resumes
        return valueOf(label.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
}
