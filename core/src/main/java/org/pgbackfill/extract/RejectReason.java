package org.pgbackfill.extract;

/**
 * Why a message or a chat did not land in {@code chat_message}. Stored by name in the rejection
 * tables; the names are stable (operators query them).
 */
public enum RejectReason {
    // message-level: upstream's INSERT would have failed and the message would have been lost
    NUL_IN_TEXT("a NUL character (\\u0000) in a TEXT column value"),
    LONE_SURROGATE_IN_TEXT("a lone UTF-16 surrogate in a TEXT column value"),
    OBJECT_IN_TEXT("an object where a TEXT column value (role, parentId, model) was expected"),
    ARRAY_IN_TEXT("an array where a TEXT column value (role, parentId, model) was expected"),
    BAD_DONE("'done' is neither a boolean, 0, 1 nor null"),
    NUMBER_OUT_OF_RANGE("a JSON number too large for a double (upstream re-encodes it as Infinity, which PostgreSQL refuses)"),
    DUPLICATE_ID("another chat produced the same chat_message id; the chat first in chat's physical order (upstream's read order) won"),
    INDEX_ROW_TOO_LARGE("a value too long for one of chat_message's btree indexes (upstream's INSERT or CREATE INDEX fails on it)"),
    COPY_FAILED("PostgreSQL refused the row during COPY"),
    JSON_TOO_DEEP("a JSON column value nested deeper than Python's json.dumps can write back (upstream's INSERT fails with RecursionError)"),
    // chat-level: the document could not be read at all
    INVALID_JSON("the document (or its double-encoded inner document) is not valid JSON"),
    EXTRACTION_FAILED("pgbackfill could not extract this document (a bug: please report it with the chat id); the document is untouched in chat"),
    NOT_AN_OBJECT("the document is an array, a number, true, or a double-encoded value that is not an object (upstream aborts the whole migration on it)"),
    NESTING_TOO_DEEP("the document nests deeper than Python's json.loads can read (RecursionError: upstream aborts the whole migration on it)"),
    INTEGER_TOO_LONG("the document holds an integer of more than 4300 digits, which Python refuses (ValueError: upstream aborts the whole migration on it)");

    private final String description;

    RejectReason(String description) { this.description = description; }

    public String description() { return description; }

    public boolean isChatLevel() {
        return this == INVALID_JSON || this == NOT_AN_OBJECT || this == EXTRACTION_FAILED
            || this == NESTING_TOO_DEEP || this == INTEGER_TOO_LONG;
    }
}
