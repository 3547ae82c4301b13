package org.pgbackfill.path;

/** An upgrade path that cannot be planned; the message says why and what to do. */
public final class PathException extends RuntimeException {
    public enum Reason {
        /** The database's (or the given) revision is not in the revision graph. */
        UNKNOWN_REVISION,
        /** The target release is not one the revision graph knows. */
        UNKNOWN_RELEASE,
        /** The revision is known but not on the way to the target (another branch). */
        NOT_ON_THE_WAY
    }

    private final Reason reason;

    public PathException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
