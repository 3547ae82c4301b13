package org.pgbackfill.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * chat_message as upstream's revision 8452d01d26d7 leaves it, written out from SPEC.md section 4
 * in the server's own words ({@code pg_get_indexdef}, {@code pg_get_constraintdef},
 * {@code format_type}), independently of the production code's definitions.
 */
public final class UpstreamSchema {
    private UpstreamSchema() { }

    /** The primary key, the seven indexes (all valid and ready), the validated foreign key, and the columns. */
    public static void assertChatMessage(Connection c) throws SQLException {
        Map<String, String> expected = new TreeMap<>(Map.of(
            "chat_message_pkey", "CREATE UNIQUE INDEX chat_message_pkey ON public.chat_message USING btree (id)|t",
            "ix_chat_message_chat_id", "CREATE INDEX ix_chat_message_chat_id ON public.chat_message USING btree (chat_id)|t",
            "ix_chat_message_user_id", "CREATE INDEX ix_chat_message_user_id ON public.chat_message USING btree (user_id)|t",
            "ix_chat_message_model_id", "CREATE INDEX ix_chat_message_model_id ON public.chat_message USING btree (model_id)|t",
            "ix_chat_message_created_at", "CREATE INDEX ix_chat_message_created_at ON public.chat_message USING btree (created_at)|t",
            "chat_message_chat_parent_idx", "CREATE INDEX chat_message_chat_parent_idx ON public.chat_message USING btree (chat_id, parent_id)|t",
            "chat_message_model_created_idx", "CREATE INDEX chat_message_model_created_idx ON public.chat_message USING btree (model_id, created_at)|t",
            "chat_message_user_created_idx", "CREATE INDEX chat_message_user_created_idx ON public.chat_message USING btree (user_id, created_at)|t"));
        assertEquals(expected, map(c, "SELECT i.relname, pg_get_indexdef(x.indexrelid) || '|' || CASE WHEN x.indisvalid AND x.indisready "
            + "THEN 't' ELSE 'f' END FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = 'public.chat_message'::regclass"),
            "chat_message's indexes (|t: valid and ready)");
        assertEquals(new TreeMap<>(Map.of("chat_message_pkey", "PRIMARY KEY (id)|true",
                "chat_message_chat_id_fkey", "FOREIGN KEY (chat_id) REFERENCES chat(id) ON DELETE CASCADE|true")),
            map(c, "SELECT conname, pg_get_constraintdef(oid) || '|' || convalidated FROM pg_constraint "
                + "WHERE conrelid = 'public.chat_message'::regclass AND contype IN ('p', 'f', 'u', 'c')"),
            "chat_message's constraints (|true: validated)");
        assertEquals(Map.of("columns", "id:text:t|chat_id:text:t|user_id:text:f|role:text:t|parent_id:text:f|content:json:f|output:json:f|"
                + "model_id:text:f|files:json:f|sources:json:f|embeds:json:f|done:boolean:f:true|status_history:json:f|"
                + "error:json:f|usage:json:f|created_at:bigint:f|updated_at:bigint:f"),
            map(c, "SELECT 'columns', string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || "
                + "CASE WHEN a.attnotnull THEN 't' ELSE 'f' END || coalesce(':' || pg_get_expr(d.adbin, d.adrelid), ''), '|' ORDER BY a.attnum) "
                + "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                + "WHERE a.attrelid = 'public.chat_message'::regclass AND a.attnum > 0 AND NOT a.attisdropped"),
            "chat_message's columns (name:type:not null[:default])");
    }

    private static Map<String, String> map(Connection c, String sql) throws SQLException {
        Map<String, String> m = new TreeMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) m.put(rs.getString(1), rs.getString(2));
        }
        return m;
    }
}
