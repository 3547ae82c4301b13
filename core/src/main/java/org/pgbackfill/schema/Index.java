package org.pgbackfill.schema;

/**
 * One of chat_message's indexes, as upstream defines it: its name, whether it is unique, and its
 * columns. The DDL is made from these, for chat_message or for another table with the same
 * columns (the judgement's probe table, a benchmark's copy), never by editing a DDL string.
 */
public record Index(String name, boolean unique, String columns) {
    /** Upstream's definition, on chat_message. */
    public String ddl() { return ddl(false, name, TargetSchema.TABLE); }

    /** The same, skipped when an index of that name exists (a build resumed after a kill). */
    public String ddlIfNotExists() { return ddl(true, name, TargetSchema.TABLE); }

    /** The same columns indexed on {@code table}, under {@code indexName}. */
    public String on(String table, String indexName) { return ddl(true, indexName, table); }

    private String ddl(boolean ifNotExists, String indexName, String table) {
        return "CREATE " + (unique ? "UNIQUE " : "") + "INDEX " + (ifNotExists ? "IF NOT EXISTS " : "") + indexName + " ON " + table
            + " (" + columns + ")";
    }
}
