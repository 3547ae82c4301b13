package org.pgbackfill.job.currentmessage;

/**
 * Why a chat's {@code current_message_id} was left as it was: at each of these, upstream's revision
 * 9a1b2c3d4e5f raises and aborts the whole migration (SPEC.md 7 step 5). Names are stable (stored).
 */
public enum CurrentMessageReject {
    DOCUMENT_INVALID_JSON("the document is not JSON that Python's json.loads reads (psycopg2 raises while fetching it)"),
    DOCUMENT_NESTING_TOO_DEEP("the document nests deeper than Python's json.loads reads (RecursionError while fetching it)"),
    DOCUMENT_INTEGER_TOO_LONG("the document holds an integer of more than 4300 digits (ValueError while fetching it)"),
    INNER_NESTING_TOO_DEEP("the double-encoded document nests deeper than json.loads reads: RecursionError, which upstream's"
        + " except (TypeError, ValueError) does not catch"),
    UNHASHABLE_MESSAGE_ID("an element of the top-level messages array has a truthy id that is an array or object"
        + " (TypeError: unhashable, building the id map)"),
    CANDIDATE_NOT_SENDABLE("a candidate id holds a NUL character or a lone surrogate: psycopg2 cannot send upstream's"
        + " chat_message lookup"),
    UNHASHABLE_PARENT_ID("a message's parentId is an array or object (TypeError: unhashable, finding the leaves)"),
    UNORDERABLE_TIMES("two leaf timestamps cannot be compared with > (TypeError in max)"),
    VALUE_NOT_SENDABLE("the value holds a NUL character or a lone surrogate: psycopg2 cannot send upstream's UPDATE"),
    VALUE_REFUSED("PostgreSQL refused the value (the database's encoding cannot hold it, say): upstream's chat_message lookup"
        + " and UPDATE would fail on it"),
    EXTRACTION_FAILED("pgbackfill could not read this document (a bug: please report it with the chat id)");

    private final String description;

    CurrentMessageReject(String description) { this.description = description; }

    public String description() { return description; }
}
