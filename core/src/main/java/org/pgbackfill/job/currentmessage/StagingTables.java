package org.pgbackfill.job.currentmessage;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Where the current_message_id job keeps its work, in the tool's schema:
 * <ul>
 *   <li>{@code current_message_staging} (UNLOGGED): one row per chat whose value changes, under the range and attempt
 *       that computed it; {@code chat_id} in chat.id's collation, so a range's rows are merged in key order;</li>
 *   <li>{@code current_message_range} (logged): per range, what its last attempt wrote (staged, rejected, unchanged
 *       chats), written in that attempt's last fenced transaction, for the reconciliation;</li>
 *   <li>{@code current_message_merge} (logged): per range, how far the merge has got (the last chat id merged, in
 *       key order, and the chats merged and updated so far), so a stopped or crashed build continues;</li>
 *   <li>{@code current_message_before} (logged, online runs): each chat's non-null value of the column when the run was
 *       planned, before the tool wrote any: the catch-up's first candidate ({@link CurrentMessageCatchUp}).</li>
 * </ul>
 */
final class StagingTables {
    private final String schema;

    StagingTables(String schema) { this.schema = schema; }

    String staging() { return schema + ".current_message_staging"; }

    String ranges() { return schema + ".current_message_range"; }

    String merges() { return schema + ".current_message_merge"; }

    /** Online runs: each chat's value of current_message_id when the run was planned (non-null ones), the rule's first candidate in the catch-up. */
    String before() { return schema + ".current_message_before"; }

    String stagingIndex() { return "current_message_staging_range"; }

    void create(Connection c, String idCollation) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE UNLOGGED TABLE IF NOT EXISTS " + staging() + " (range_id int NOT NULL, attempt int NOT NULL, "
                + "chat_id text COLLATE " + idCollation + " NOT NULL, value text NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS " + ranges() + " (run_id bigint NOT NULL, range_id int NOT NULL, attempt int NOT NULL, "
                + "chats bigint NOT NULL, staged bigint NOT NULL, rejected bigint NOT NULL, unchanged bigint NOT NULL, "
                + "PRIMARY KEY (run_id, range_id))");
            st.execute("CREATE TABLE IF NOT EXISTS " + merges() + " (run_id bigint NOT NULL, range_id int NOT NULL, "
                + "merged_through text COLLATE " + idCollation + ", merged_chats bigint NOT NULL DEFAULT 0, "
                + "updated_chats bigint NOT NULL DEFAULT 0, done boolean NOT NULL DEFAULT false, "
                + "PRIMARY KEY (run_id, range_id))");
        }
    }

    void dropStaging(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + staging());
            st.execute("DROP TABLE IF EXISTS " + before());
        }
    }

    /** Records the column's values now (the plan of an online run, before the tool writes any); {@code columnExists} false: none. */
    void recordBefore(Connection c, boolean columnExists) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + before());
            st.execute("CREATE TABLE " + before() + " (chat_id text PRIMARY KEY, value text NOT NULL)");
            if (columnExists) {
                st.execute("INSERT INTO " + before() + " SELECT id, current_message_id FROM chat WHERE current_message_id IS NOT NULL");
            }
        }
    }

    boolean stagingExists(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT to_regclass('" + staging().replace("'", "''") + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
