package org.pgbackfill.job.currentmessage;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.state.ControlTables;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The second job's check, before anything is planned: the database is at {@code 856c5b02fb54} (or
 * already done, or inconsistently stamped), it has Open WebUI's {@code chat} and {@code chat_message}
 * with the columns the rule reads, and the user holds every grant the run will need, all listed at
 * once with the statements that give them. It only reads the catalogue, so a refused run leaves
 * nothing behind.
 */
final class CurrentMessageCheck {
    private CurrentMessageCheck() { }

    /** Refuses, with what to do, a database this job cannot start from. */
    static void check(Connection c, ControlTables control) throws SQLException, BackfillException {
        String revision = SchemaCheck.revision(c);
        Map<String, String> chat = columns(c, "chat");
        if (CurrentMessageJob.REVISION_AFTER.equals(revision)) {
            if (chat.containsKey("current_message_id")) {
                throw new BackfillException(Kind.ALREADY_DONE, "the database is already at revision " + CurrentMessageJob.REVISION_AFTER
                    + " with chat.current_message_id in place: nothing to do");
            }
            throw new BackfillException(Kind.WRONG_REVISION, "the database is stamped " + CurrentMessageJob.REVISION_AFTER + " but chat has no "
                + "current_message_id column: it is inconsistent (a migration was stamped without its data). Restore the backup taken "
                + "before the upgrade, or set the stamp back (UPDATE alembic_version SET version_num = '" + CurrentMessageJob.REVISION_BEFORE
                + "';) and run pgbackfill again");
        }
        if (!CurrentMessageJob.REVISION_BEFORE.equals(revision)) {
            throw new BackfillException(Kind.WRONG_REVISION, "the database is at Alembic revision '" + revision
                + "', but the current_message_id backfill starts from " + CurrentMessageJob.REVISION_BEFORE + ". Bring it there first with "
                + "Open WebUI's Alembic (in the Open WebUI container: cd /app/backend/open_webui && alembic upgrade "
                + CurrentMessageJob.REVISION_BEFORE + "), then run pgbackfill again");
        }
        if (chat.isEmpty()) {
            throw new BackfillException(Kind.NOT_OPEN_WEBUI, "no table 'chat' in the schema search path: this does not look like an "
                + "Open WebUI database; check the database name in the URL");
        }
        for (String col : new String[] {"id", "chat"}) {
            if (!chat.containsKey(col)) {
                throw new BackfillException(Kind.NOT_OPEN_WEBUI, "chat." + col + " is missing, which Open WebUI's revision "
                    + CurrentMessageJob.REVISION_BEFORE + " has");
            }
        }
        Map<String, String> message = columns(c, "chat_message");
        if (message.isEmpty()) {
            throw new BackfillException(Kind.NOT_OPEN_WEBUI, "no table 'chat_message': Open WebUI's revision " + CurrentMessageJob.REVISION_BEFORE
                + " has it (created by 8452d01d26d7); this database is not where this backfill starts");
        }
        for (String col : new String[] {"id", "chat_id", "parent_id", "created_at"}) {
            if (!message.containsKey(col)) {
                throw new BackfillException(Kind.NOT_OPEN_WEBUI, "chat_message." + col + " is missing, which Open WebUI's revision "
                    + CurrentMessageJob.REVISION_BEFORE + " has");
            }
        }
        checkPrivileges(c, control, chat.containsKey("current_message_id"));
    }

    /** The table's columns and their types, by name (empty when there is no such table in the search path). */
    static Map<String, String> columns(Connection c, String table) throws SQLException {
        Map<String, String> columns = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                + "WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) columns.put(rs.getString(1), rs.getString(2));
            }
        }
        return columns;
    }

    /** Every grant the run needs, listed at once with the statements that give them. */
    private static void checkPrivileges(Connection c, ControlTables control, boolean columnExists) throws SQLException, BackfillException {
        try (PreparedStatement ps = c.prepareStatement("SELECT has_table_privilege('chat', 'SELECT'), has_table_privilege('chat', 'UPDATE'), "
                + "pg_has_role((SELECT relowner FROM pg_class WHERE oid = 'chat'::regclass), 'USAGE'), "
                + "has_table_privilege('chat_message', 'SELECT'), has_table_privilege('alembic_version', 'UPDATE'), "
                + "coalesce(has_schema_privilege(to_regnamespace(?)::oid, 'CREATE') AND has_schema_privilege(to_regnamespace(?)::oid, 'USAGE'), "
                + "has_database_privilege(current_database(), 'CREATE')), current_user, "
                + "(SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'chat'::regclass)")) {
            ps.setString(1, control.schema());
            ps.setString(2, control.schema());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String user = rs.getString(7);
                String u = SchemaCheck.quote(user);
                List<String> missing = new ArrayList<>(), grants = new ArrayList<>();
                if (!rs.getBoolean(1) || !rs.getBoolean(2)) {
                    missing.add("SELECT and UPDATE on table chat");
                    grants.add("GRANT SELECT, UPDATE ON chat TO " + u + ";");
                }
                if (!columnExists && !rs.getBoolean(3)) {
                    missing.add("ownership of table chat (to ALTER TABLE chat ADD COLUMN current_message_id; it is owned by "
                        + rs.getString(8) + ")");
                    grants.add("GRANT " + SchemaCheck.quote(rs.getString(8)) + " TO " + u + ";");
                }
                if (!rs.getBoolean(4)) {
                    missing.add("SELECT on table chat_message");
                    grants.add("GRANT SELECT ON chat_message TO " + u + ";");
                }
                if (!rs.getBoolean(5)) {
                    missing.add("UPDATE on table alembic_version");
                    grants.add("GRANT UPDATE ON alembic_version TO " + u + ";");
                }
                if (!rs.getBoolean(6)) {
                    missing.add("CREATE and USAGE on schema " + control.schema() + ", or CREATE on the database (the tool's tables)");
                    grants.add("CREATE SCHEMA " + SchemaCheck.quote(control.schema()) + " AUTHORIZATION " + u + ";");
                }
                SchemaCheck.requireGranted(user, missing, grants);
            }
        }
    }
}
