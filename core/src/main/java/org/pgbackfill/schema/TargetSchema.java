package org.pgbackfill.schema;

import java.util.List;

/**
 * What revision 8452d01d26d7 leaves in the database (SPEC.md section 4), written once here: the
 * table as upstream's PostgreSQL path creates it (primary key only), the seven secondary indexes,
 * the foreign key, and the revisions before and after.
 */
public final class TargetSchema {
    private TargetSchema() { }

    public static final String REVISION_BEFORE = "374d2f66af06";
    public static final String REVISION_AFTER = "8452d01d26d7";

    /** chat_message's columns in table order. */
    public static final String COLUMNS = "id, chat_id, user_id, role, parent_id, content, output, model_id, files, "
        + "sources, embeds, done, status_history, error, usage, created_at, updated_at";

    /** The table this job creates. */
    public static final String TABLE = "chat_message";

    public static final String CREATE_TABLE = """
        CREATE TABLE chat_message (
            id TEXT PRIMARY KEY,
            chat_id TEXT NOT NULL,
            user_id TEXT,
            role TEXT NOT NULL,
            parent_id TEXT,
            content JSON,
            output JSON,
            model_id TEXT,
            files JSON,
            sources JSON,
            embeds JSON,
            done BOOLEAN DEFAULT TRUE,
            status_history JSON,
            error JSON,
            usage JSON,
            created_at BIGINT,
            updated_at BIGINT
        )""";

    /**
     * The table as the load creates it: upstream's columns, {@code id} NOT NULL but not yet a key.
     * The rows are copied straight into it, with no index to maintain; {@link #PRIMARY_KEY_INDEX}
     * and {@link #ADD_PRIMARY_KEY} later make it exactly {@link #CREATE_TABLE} (same constraint and
     * index names, {@code id} NOT NULL, the index marked primary).
     */
    public static final String CREATE_TABLE_FOR_LOAD = CREATE_TABLE.replace("id TEXT PRIMARY KEY", "id TEXT NOT NULL");

    public static final String PRIMARY_KEY_NAME = "chat_message_pkey";

    /** The primary key's index, built in bulk with the secondary indexes. */
    public static final Index PRIMARY_KEY_INDEX = new Index(PRIMARY_KEY_NAME, true, "id");

    /** Turns the index into the primary key (a catalog change: id is NOT NULL already, so nothing is scanned). */
    public static final String ADD_PRIMARY_KEY = "ALTER TABLE chat_message ADD CONSTRAINT " + PRIMARY_KEY_NAME
        + " PRIMARY KEY USING INDEX " + PRIMARY_KEY_NAME;

    /** The seven secondary indexes, exactly upstream's. */
    public static final List<Index> INDEXES = List.of(
        new Index("ix_chat_message_chat_id", false, "chat_id"),
        new Index("ix_chat_message_user_id", false, "user_id"),
        new Index("ix_chat_message_model_id", false, "model_id"),
        new Index("ix_chat_message_created_at", false, "created_at"),
        new Index("chat_message_chat_parent_idx", false, "chat_id, parent_id"),
        new Index("chat_message_model_created_idx", false, "model_id, created_at"),
        new Index("chat_message_user_created_idx", false, "user_id, created_at"));

    /**
     * Rows whose indexed values are all this short always fit in a btree entry (PostgreSQL's limit
     * is about 2704 bytes after compression); only longer ones need to be tried one by one.
     */
    public static final int SAFE_INDEX_BYTES = 2000;

    /** SQL true for a row (alias {@code s}) whose indexed values are short enough to need no check. */
    public static final String FITS_INDEXES = fitsIndexes("s");

    /** SQL true for a row (table alias {@code a}) whose indexed values are short enough to need no check. */
    public static String fitsIndexes(String a) {
        return "(octet_length(" + a + ".id) <= " + SAFE_INDEX_BYTES
            + " AND octet_length(" + a + ".chat_id) + coalesce(octet_length(" + a + ".parent_id), 0) <= " + SAFE_INDEX_BYTES
            + " AND coalesce(octet_length(" + a + ".model_id), 0) <= " + SAFE_INDEX_BYTES
            + " AND coalesce(octet_length(" + a + ".user_id), 0) <= " + SAFE_INDEX_BYTES + ")";
    }

    /**
     * SQL giving this session ({@code local}: this transaction) the TOAST compression a fresh session
     * of the server has (its configuration, the database's or the role's: what upstream's sessions
     * compress with), whatever the session was set to before (the writers set lz4). A no-op on
     * PostgreSQL 13, which has no such setting and compresses with pglz only.
     */
    public static String defaultToastCompression(boolean local) {
        return "SELECT set_config(name, reset_val, " + local + ") FROM pg_settings WHERE name = 'default_toast_compression'";
    }

    /**
     * SQL recording rows of chat_message (table alias {@code a}) as {@code reason} rejections of run
     * {@code runId}, with {@code detail} (a SQL expression); a FROM clause that binds {@code a} follows.
     * The key is the id's tail after the chat id, also as a JSON string (lossless: see load.Rejection).
     */
    public static String insertRowRejections(String schema, long runId, String a, String reason, String detail) {
        String key = "substr(" + a + ".id, length(" + a + ".chat_id) + 2)";
        return "INSERT INTO " + schema + ".rejected_message (run_id, chat_id, message_key, message_key_json, reason, detail, raw_json) "
            + "SELECT " + runId + ", " + a + ".chat_id, " + key + ", to_json(" + key + ")::text, '" + reason + "', " + detail + ", "
            + rawMessageJson(a);
    }

    /** A staged row (table alias {@code a}) as the message JSON it came from, for rejections recorded in SQL. */
    public static String rawMessageJson(String a) {
        return "json_build_object('role', " + a + ".role, 'parentId', " + a + ".parent_id, 'model', " + a + ".model_id, "
            + "'content', " + a + ".content, 'output', " + a + ".output, 'files', " + a + ".files, 'sources', " + a + ".sources, "
            + "'embeds', " + a + ".embeds, 'done', " + a + ".done, 'statusHistory', " + a + ".status_history, "
            + "'error', " + a + ".error, 'usage', " + a + ".usage, 'timestamp', " + a + ".created_at)::text";
    }

    public static final String FOREIGN_KEY_NAME = "chat_message_chat_id_fkey";

    public static final String ADD_FOREIGN_KEY = "ALTER TABLE chat_message ADD CONSTRAINT chat_message_chat_id_fkey "
        + "FOREIGN KEY (chat_id) REFERENCES chat(id) ON DELETE CASCADE NOT VALID";

    public static final String VALIDATE_FOREIGN_KEY = "ALTER TABLE chat_message VALIDATE CONSTRAINT chat_message_chat_id_fkey";
}
