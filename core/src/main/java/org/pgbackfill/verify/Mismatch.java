package org.pgbackfill.verify;

/**
 * One way {@code chat_message} differs from what {@code chat} says it must hold.
 *
 * @param rowId  the chat_message id concerned, or null when the mismatch is about a whole chat
 * @param detail what differs, for a person (values shortened)
 */
public record Mismatch(Kind kind, String chatId, String rowId, String detail) {
    /** The sorts of difference; stable names (scripts may match on them). */
    public enum Kind {
        /** Every row the chat's document yields is absent. */
        MISSING_CHAT("chats whose rows are all missing"),
        /** A row the document yields is absent (and no lower chat id holds its id). */
        MISSING_ROW("rows missing"),
        /** A stored row of a chat that the document does not yield. */
        EXTRA_ROW("rows not expected"),
        /** Rows stored for a chat that does not exist or that the backfill does not read (NULL or shared-… user_id). */
        ORPHAN_ROWS("chats that should have no rows but have some"),
        /** A row present on both sides whose values differ. */
        CHANGED_ROW("rows with different values");

        private final String description;

        Kind(String description) { this.description = description; }

        public String description() { return description; }
    }

    @Override public String toString() {
        return kind + " chat " + Shown.quoted(chatId) + (rowId == null ? "" : " row " + Shown.quoted(rowId)) + ": " + detail;
    }
}
