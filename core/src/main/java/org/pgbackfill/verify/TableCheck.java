package org.pgbackfill.verify;

import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * Before reading anything: are {@code chat} and {@code chat_message} there, with the columns and
 * types this check reads? A wrong database should be refused with a reason and the usual exit
 * code, not reported as millions of mismatches. Also learns {@code chat.id}'s collation: ranges
 * of chat ids are compared in it on both tables.
 */
final class TableCheck {
    /** The chat_message columns read, with their types at revision 8452d01d26d7. */
    private static final String[][] TARGET = {
        {"id", "text"}, {"chat_id", "text"}, {"user_id", "text"}, {"role", "text"}, {"parent_id", "text"},
        {"content", "json"}, {"output", "json"}, {"model_id", "text"}, {"files", "json"}, {"sources", "json"},
        {"embeds", "json"}, {"done", "boolean"}, {"status_history", "json"}, {"error", "json"}, {"usage", "json"},
        {"created_at", "bigint"}, {"updated_at", "bigint"}};

    private TableCheck() { }

    /** Checks both tables; returns chat.id's collation as a quoted qualified name for COLLATE. */
    static String check(Connection c) throws SQLException, BackfillException {
        SchemaCheck.revision(c);   // no alembic_version: the same refusal as run's
        Map<String, String> chat = columns(c, "chat");
        if (chat.isEmpty()) {
            throw new BackfillException(Kind.NOT_OPEN_WEBUI, "no table 'chat' in schema search path (" + single(c, "SHOW search_path")
                + "): this does not look like an Open WebUI database; check the database name in the URL");
        }
        if (!"json".equals(chat.get("chat")) || !chat.containsKey("id") || !chat.containsKey("user_id")) {
            throw new BackfillException(Kind.NOT_OPEN_WEBUI, "chat.chat is " + chat.getOrDefault("chat", "missing")
                + " (with columns " + chat.keySet() + "), expected json as Open WebUI defines it");
        }
        Map<String, String> target = columns(c, "chat_message");
        if (target.isEmpty()) {
            String revision = single(c, "SELECT CASE WHEN to_regclass('alembic_version') IS NULL THEN '(no alembic_version)' "
                + "ELSE (SELECT string_agg(version_num, ',') FROM alembic_version) END");
            throw new BackfillException(Kind.WRONG_REVISION, "no table chat_message (Alembic revision " + revision
                + "): there is nothing to verify yet; run the backfill first");
        }
        for (String[] col : TARGET) {
            String type = target.get(col[0]);
            if (!col[1].equals(type)) {
                throw new BackfillException(Kind.NOT_OPEN_WEBUI, "chat_message." + col[0] + " is "
                    + (type == null ? "missing" : type) + ", expected " + col[1] + " as revision 8452d01d26d7 defines it");
            }
        }
        return single(c, "SELECT quote_ident(n.nspname) || '.' || quote_ident(co.collname) FROM pg_attribute a "
            + "JOIN pg_collation co ON co.oid = a.attcollation JOIN pg_namespace n ON n.oid = co.collnamespace "
            + "WHERE a.attrelid = 'chat'::regclass AND a.attname = 'id'");
    }

    private static Map<String, String> columns(Connection c, String table) throws SQLException {
        Map<String, String> m = new HashMap<>();
        try (var ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a "
                + "WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) m.put(rs.getString(1), rs.getString(2));
            }
        }
        return m;
    }

    private static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
