package org.pgbackfill.seed;

import java.util.EnumSet;
import java.util.Set;

/**
 * The odd documents and rows {@link ChatGenerator} can produce (SPEC.md sections 1, 2, 3 and 6).
 * An edge-case chat carries exactly one kind; the variant within the kind is random. Every one of
 * them is valid input for PostgreSQL's {@code json} type (or SQL NULL).
 *
 * <p>The comments say what the chat contains, not what the backfill must do with it: SPEC.md is
 * the authority for that.
 */
public enum EdgeCase {
    // --- whole documents ---------------------------------------------------------------------
    /** SQL NULL, or JSON {@code null}, {@code false}, {@code 0}, {@code 0.0}, {@code ""}, {@code {}}, {@code []}. */
    FALSY_DOCUMENT,
    /** Top level is a non-empty array, a non-zero number or {@code true}. */
    NOT_AN_OBJECT,
    /** A normal document, JSON-encoded once more as a string. */
    DOUBLE_ENCODED,
    /** A JSON string whose content is not a usable document: invalid JSON, an array, a number, a string again, null. */
    DOUBLE_ENCODED_BAD,
    /** Leading/trailing whitespace and {@code \t \n \r} between all tokens. */
    ODD_WHITESPACE,

    // --- history -----------------------------------------------------------------------------
    /** No {@code history} (only the top-level {@code messages} array). */
    NO_HISTORY,
    /** {@code history} is null, an array, a string, a number or a boolean. */
    HISTORY_NOT_OBJECT,
    /** {@code history.messages} is an array (of real messages), null, a string, missing, or {@code {}}. */
    MESSAGES_NOT_OBJECT,
    /** Two {@code history} keys: a real one and a bogus one, in either order (the last wins). */
    DUPLICATE_HISTORY,
    /** A message key appears twice in {@code history.messages} with different values (the last wins). */
    DUPLICATE_MESSAGE_KEY,
    /** An entry of {@code history.messages} is a string, number, array, boolean or null. */
    NON_OBJECT_MESSAGE,

    // --- message fields ------------------------------------------------------------------------
    /** {@code role} missing, null, false, 0, 0.0, "", [] or {}. */
    FALSY_ROLE,
    /** {@code role} is a number ({@code 7}, {@code 1.5}, {@code 1e20}, {@code -0.0}, ...) or {@code true}. */
    NUMERIC_ROLE,
    /** {@code role} given twice in one message, the later one differing (truthy or falsy). */
    DUPLICATE_ROLE,
    /** {@code timestamp} is a string: numeric in Python float syntax (whitespace, underscores, exponents) or not numeric. */
    STRING_TIMESTAMP,
    /** {@code timestamp} is null, a boolean, an object, an array, a float, milliseconds, before 2020, in the future, huge, negative, or missing. */
    ODD_TIMESTAMP,
    /** {@code done} is 0, 1, 0.0, 1.0, null, 2, -1, "x", "true", [] or {}. */
    ODD_DONE,
    /** {@code role}, {@code parentId} or {@code model} is an object or an array. */
    OBJECT_IN_TEXT,
    /** {@code parentId} or {@code model} is a number or a boolean. */
    NUMBER_IN_TEXT,
    /** {@code \u0000} in {@code role}, {@code parentId} or {@code model}. */
    NUL_IN_TEXT,
    /** {@code \u0000} inside {@code content}, a source document or {@code usage} (JSON columns). */
    NUL_IN_CONTENT,
    /** A message key containing {@code \u0000}. */
    NUL_IN_KEY,
    /** A lone UTF-16 surrogate escape ({@code \ud800}) in role, parentId, model, a key or content. */
    LONE_SURROGATE,
    /** A number too large for a double ({@code 1e400}) in usage, content, statusHistory or timestamp. */
    HUGE_NUMBER,
    /** A number written with 1,500 digits (beyond Jackson's default {@code maxNumberLength} of 1,000). */
    LONG_NUMBER,
    /** {@code content} is an array of parts, an object, a number, a boolean or null. */
    CONTENT_NOT_STRING,
    /** Messages with almost nothing: only a role, or role and content (no id, parentId, timestamp, done). */
    MISSING_FIELDS,
    /** Message keys that are empty, non-ASCII, contain quotes, backslashes or escapes ({@code \u0061}), or differ from {@code message.id}. */
    WEIRD_KEYS,
    /** Strings full of escapes: {@code \/ \b \f \r \u0041 \u00e9}, escaped surrogate pairs. */
    ESCAPED_TEXT,
    /** A message key 60,000 characters long (beyond Jackson's default {@code maxNameLength} of 50,000). */
    LONG_KEY,
    /** Arrays nested 1,100 deep inside {@code content} (beyond Jackson's default {@code maxNestingDepth} of 1,000). */
    DEEP_NESTING,
    /** A single base64 string of 21 million characters in a message (beyond Jackson's default {@code maxStringLength}). Off by default. */
    HUGE_STRING,

    // --- the row, not the document ---------------------------------------------------------
    /** {@code chat.user_id} is SQL NULL (such chats are not read). */
    NULL_USER,
    /** {@code user_id} that looks like {@code shared-%} but does not match it: {@code Shared-…}, {@code shared_…}, {@code  shared-…}, {@code xshared-…}. */
    SHARED_LOOKALIKE_USER,
    /** A chat id that is not a UUID: short, numeric, with spaces, punctuation, upper case or non-ASCII. */
    NON_UUID_CHAT_ID,
    /**
     * Two consecutive chats whose {@code chat.id + '-' + key} collide: chat {@code X} with key
     * {@code K-1}, then chat {@code X-K} with key {@code 1}.
     */
    DUPLICATE_ROW_ID;

    /** Everything except {@link #HUGE_STRING} (which adds 21 MB per document). */
    public static Set<EdgeCase> defaults() {
        return EnumSet.complementOf(EnumSet.of(HUGE_STRING));
    }
}
