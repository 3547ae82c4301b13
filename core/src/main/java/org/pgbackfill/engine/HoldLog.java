package org.pgbackfill.engine;

import org.pgbackfill.HoldCause;

/**
 * What the log says of the run's holds: that one begins ("holding: …"), that its cause changes,
 * and that it ends ("no longer held"), each once. The hold monitor tells its listeners every new
 * reason, and a reason carries figures that move for as long as the hold lasts (a standby's lag,
 * every second; a count of sessions): the progress line and the run's row show them as they move,
 * but the log repeated the hold once a second, for an hour if a standby lagged an hour.
 */
final class HoldLog {
    private boolean holding;
    private HoldCause cause;   // what the log last said the run holds for, while holding

    /** The line to log for the hold's new {@code reason} (null: it ended), or null when the log has said so already. */
    synchronized String line(String reason) {
        if (reason == null) {
            if (!holding) return null;
            holding = false;
            cause = null;
            return "no longer held";
        }
        HoldCause now = HoldCause.of(reason);
        if (holding && now != null && now == cause) return null;   // the same hold, its figures moved
        holding = true;
        cause = now;
        return "holding: " + reason;
    }
}
