package org.pgbackfill.path;

/**
 * The Open WebUI revisions pgbackfill runs in Alembic's place: each starts from one revision and,
 * when done, stamps the next.
 */
public enum BackfillJob {
    /** "Add chat_message table": fills {@code chat_message} from every chat's document. */
    CHAT_MESSAGE("chat_message", "374d2f66af06", "8452d01d26d7"),
    /** "add current_message_id to chat": fills {@code chat.current_message_id}. */
    CURRENT_MESSAGE_ID("current_message_id", "856c5b02fb54", "9a1b2c3d4e5f");

    private final String key;
    private final String startRevision;
    private final String stampRevision;

    BackfillJob(String key, String startRevision, String stampRevision) {
        this.key = key;
        this.startRevision = startRevision;
        this.stampRevision = stampRevision;
    }

    /** A short, stable name ({@code chat_message}), for machine-readable output. */
    public String key() {
        return key;
    }

    /** The revision the database must be at for the job to run. */
    public String startRevision() {
        return startRevision;
    }

    /** The revision the job stamps when done: the one it runs in Alembic's place. */
    public String stampRevision() {
        return stampRevision;
    }
}
