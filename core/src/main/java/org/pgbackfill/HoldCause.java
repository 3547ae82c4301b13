package org.pgbackfill;

/**
 * Why a run holds: paused, or a limit crossed. A hold's reason is a sentence for people that
 * contains its cause's {@link #words()} (and is stored so, in the run's row, for other processes
 * to show): {@link #of} finds the cause again, for the metrics and for callers that add their
 * own hint (the command line names the setting's flag).
 */
public enum HoldCause {
    /** Paused in the control table, from any machine. */
    PAUSED("paused"),
    /** A standby's replay lag is above the run's limit. */
    REPLICATION_LAG("replication lag"),
    /** Other clients have more active sessions on the database than the run allows. */
    ACTIVE_SESSIONS("active sessions");

    private final String words;

    HoldCause(String words) { this.words = words; }

    /** The words every reason of this cause contains. */
    public String words() { return words; }

    /** The cause of a hold's reason; null for no reason (not held) or one no cause's words are in. */
    public static HoldCause of(String reason) {
        if (reason == null) return null;
        for (HoldCause c : values()) if (reason.contains(c.words)) return c;
        return null;
    }
}
