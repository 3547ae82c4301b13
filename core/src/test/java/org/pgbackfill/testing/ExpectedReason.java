package org.pgbackfill.testing;

/**
 * Why a message or chat is expected in a rejection table rather than in {@code chat_message}.
 * The names are those of the production enum {@code org.pgbackfill.extract.RejectReason}; this
 * copy exists so the reference does not depend on production code (compare with {@link #name()}).
 */
public enum ExpectedReason {
    // message level
    NUL_IN_TEXT,
    LONE_SURROGATE_IN_TEXT,
    OBJECT_IN_TEXT,
    ARRAY_IN_TEXT,
    BAD_DONE,
    NUMBER_OUT_OF_RANGE,
    DUPLICATE_ID,
    JSON_TOO_DEEP,
    // chat level
    INVALID_JSON,
    NOT_AN_OBJECT,
    NESTING_TOO_DEEP,
    INTEGER_TOO_LONG;

    public boolean isChatLevel() {
        return this == INVALID_JSON || this == NOT_AN_OBJECT || this == NESTING_TOO_DEEP || this == INTEGER_TOO_LONG;
    }
}
