package org.pgbackfill.schema;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.state.ControlTables;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The check phase: is this an Open WebUI database at revision 374d2f66af06 that this run may
 * migrate? Each refusal says what is wrong and what to do, with its own exit code.
 */
public final class SchemaCheck {
    /** What the check learned that later phases need. */
    public record Facts(String serverVersion, String serverEncoding, String idCollation, String toastCompression) {
        /** Whether chat_message's values are compressed with lz4 (else with pglz, the server's only other method). */
        public boolean lz4() { return "lz4".equals(toastCompression); }

        /**
         * The same facts for a job that writes no compressed values (the current_message_id job writes short ids into
         * chat's heap): no TOAST compression to report, and no pglz notice.
         */
        public Facts withoutCompression() { return new Facts(serverVersion, serverEncoding, idCollation, null); }

        /** Why there is no lz4, for the operator; null when there is, or when the job compresses nothing. */
        public String pglzReason() {
            return lz4() || toastCompression == null ? null : "this PostgreSQL has no lz4 (" + serverVersion + (serverVersion.matches("1[0-3]\\b.*") ? ": lz4 came in 14"
                : ": built without it") + "): chat_message's values are compressed with pglz, which costs the server more CPU than lz4; "
                + "the rows are the same";
        }

        /** Whether JSON must be sent ASCII-only (escaped), as upstream's json.dumps does, because the server is not UTF-8. */
        public boolean asciiJson() { return !"UTF8".equals(serverEncoding) && !"SQL_ASCII".equals(serverEncoding); }
    }

    private SchemaCheck() { }

    /**
     * @param ownUnfinishedTarget whether an unfinished run of this tool created chat_message
     *                            (then its existence is expected, not a refusal)
     */
    public static Facts check(Connection c, ControlTables control, boolean ownUnfinishedTarget) throws SQLException, BackfillException {
        String revision = revision(c);
        if (!TargetSchema.REVISION_BEFORE.equals(revision)) {
            if (TargetSchema.REVISION_AFTER.equals(revision)) {
                String missing = missingFromFinishedTarget(c);
                if (missing == null) {
                    throw new BackfillException(Kind.ALREADY_DONE, "the database is already at revision " + TargetSchema.REVISION_AFTER
                        + " with chat_message complete (its primary key and validated foreign key in place): nothing to do");
                }
                throw new BackfillException(Kind.WRONG_REVISION, "the database is stamped " + TargetSchema.REVISION_AFTER + " but "
                    + missing + ": it is inconsistent (a migration was stamped without its data). Restore the backup taken before "
                    + "the upgrade, or set the stamp back (UPDATE alembic_version SET version_num = '" + TargetSchema.REVISION_BEFORE
                    + "'; DROP TABLE IF EXISTS chat_message;) and run pgbackfill again");
            }
            throw new BackfillException(Kind.WRONG_REVISION, "the database is at Alembic revision '" + revision
                + "', but this backfill starts from " + TargetSchema.REVISION_BEFORE + ". Bring it there first with "
                + "Open WebUI's Alembic (in the Open WebUI container: cd /app/backend/open_webui && alembic upgrade "
                + TargetSchema.REVISION_BEFORE + "), then run pgbackfill again");
        }
        Map<String, String> columns = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                + "WHERE a.attrelid = to_regclass('chat') AND a.attnum > 0 AND NOT a.attisdropped")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) columns.put(rs.getString(1), rs.getString(2));
            }
        }
        if (columns.isEmpty()) {
            throw new BackfillException(Kind.NOT_OPEN_WEBUI, "no table 'chat' in schema search path (" + searchPath(c)
                + "): this does not look like an Open WebUI database; check the database name in the URL");
        }
        requireType(columns, "id", "character varying", "text");
        requireType(columns, "user_id", "character varying", "text");
        requireType(columns, "chat", "json");
        if (!idIsUnique(c)) {
            throw new BackfillException(Kind.NOT_OPEN_WEBUI, "chat.id has neither a primary key nor a unique constraint; "
                + "Open WebUI's schema has one (chat_pkey). Refusing: the foreign key chat_message_chat_id_fkey needs it");
        }
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_regclass('chat_message') IS NOT NULL")) {
            rs.next();
            // the caller read the open run before this: another process may have planned a run (creating chat_message
            // in the same transaction) in between; the table is committed, so a fresh read of the run sees it too
            if (rs.getBoolean(1) && !ownUnfinishedTarget && !createdByUnfinishedRun(c, control)) {
                throw new BackfillException(Kind.TARGET_EXISTS, "table chat_message already exists and was not created by an "
                    + "unfinished pgbackfill run (schema " + control.schema() + "). If Open WebUI's own migration started it and "
                    + "failed, restore your backup or drop chat_message (DROP TABLE chat_message) and run pgbackfill again");
            }
        }
        checkPrivileges(c, control);
        return facts(c);
    }

    /** What every job's check learns of the server and of chat: version, encoding, chat.id's collation, TOAST compression. */
    public static Facts facts(Connection c) throws SQLException {
        return new Facts(serverVersion(c), setting(c, "server_encoding"), idCollation(c), toastCompression(c));
    }

    private static boolean createdByUnfinishedRun(Connection c, ControlTables control) throws SQLException {
        ControlTables.OpenRun open = control.openRun(c);
        return open != null && open.createdTarget();
    }

    /** The Alembic revision, refusing (as {@link Kind#NOT_OPEN_WEBUI}) a database without alembic_version; verify says the same. */
    public static String revision(Connection c) throws SQLException, BackfillException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_regclass('alembic_version') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                throw new BackfillException(Kind.NOT_OPEN_WEBUI, "no table 'alembic_version' in schema search path (" + searchPath(c)
                    + "): this does not look like an Open WebUI database; check the database name in the URL");
            }
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT version_num FROM alembic_version")) {
            if (!rs.next()) return "(none)";
            String v = rs.getString(1);
            if (rs.next()) throw new BackfillException(Kind.WRONG_REVISION, "alembic_version holds more than one row; "
                + "Open WebUI keeps exactly one. Repair it with Alembic before running pgbackfill");
            return v;
        }
    }

    private static void requireType(Map<String, String> columns, String name, String... accepted) throws BackfillException {
        String type = columns.get(name);
        if (type != null) {
            for (String a : accepted) if (type.equals(a) || type.startsWith(a + "(")) return;
        }
        throw new BackfillException(Kind.NOT_OPEN_WEBUI, "chat." + name + " is " + (type == null ? "missing" : type)
            + ", expected " + String.join(" or ", accepted) + " as Open WebUI's revision " + TargetSchema.REVISION_BEFORE + " has it");
    }

    private static boolean idIsUnique(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                 + "AND a.attnum = i.indkey[0] WHERE i.indrelid = 'chat'::regclass AND i.indisunique AND i.indnkeyatts = 1 "
                 + "AND i.indpred IS NULL AND a.attname = 'id')")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * Every grant the run needs, checked at once: the message lists all that are missing (not the
     * first only) and the GRANT statements an administrator can run, with the real schema names.
     */
    private static void checkPrivileges(Connection c, ControlTables control) throws SQLException, BackfillException {
        try (PreparedStatement ps = c.prepareStatement("SELECT has_table_privilege('chat', 'SELECT') AND has_table_privilege('chat', 'REFERENCES'), "
                + "coalesce(has_schema_privilege(current_schema(), 'CREATE'), false), "
                // the tool's schema: if an administrator made it, CREATE and USAGE on it are enough (the run does not create it)
                // (a list of privileges is true when any one is held: each is asked apart)
                + "coalesce(has_schema_privilege(to_regnamespace(?)::oid, 'CREATE') AND has_schema_privilege(to_regnamespace(?)::oid, 'USAGE'), "
                + "has_database_privilege(current_database(), 'CREATE')), "
                + "has_table_privilege('alembic_version', 'UPDATE'), current_user, current_schema(), to_regnamespace(?) IS NOT NULL, "
                + "current_database()")) {
            for (int i = 1; i <= 3; i++) ps.setString(i, control.schema());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String user = rs.getString(5);
                String schema = rs.getString(6);
                boolean toolSchemaExists = rs.getBoolean(7);
                String u = quote(user);
                java.util.List<String> missing = new java.util.ArrayList<>();
                java.util.List<String> grants = new java.util.ArrayList<>();
                if (!rs.getBoolean(1)) {
                    missing.add("SELECT and REFERENCES on table chat");
                    grants.add("GRANT SELECT, REFERENCES ON chat TO " + u + ";");
                }
                if (schema == null) {
                    missing.add("a current schema (no schema of its search_path exists) to create chat_message in");
                } else if (!rs.getBoolean(2)) {
                    missing.add("CREATE on schema " + schema + " (to create chat_message)");
                    grants.add("GRANT CREATE ON SCHEMA " + quote(schema) + " TO " + u + ";");
                }
                if (!rs.getBoolean(3)) {
                    if (toolSchemaExists) {
                        missing.add("CREATE and USAGE on schema " + control.schema() + " (the tool's tables)");
                        grants.add("GRANT CREATE, USAGE ON SCHEMA " + quote(control.schema()) + " TO " + u + ";");
                    } else {
                        missing.add("CREATE on the database (to create schema " + control.schema() + ")");
                        grants.add("GRANT CREATE ON DATABASE " + quote(rs.getString(8)) + " TO " + u + ";   -- or: CREATE SCHEMA "
                            + quote(control.schema()) + " AUTHORIZATION " + u + ";");
                    }
                }
                if (!rs.getBoolean(4)) {
                    missing.add("UPDATE on table alembic_version");
                    grants.add("GRANT UPDATE ON alembic_version TO " + u + ";");
                }
                requireGranted(user, missing, grants);
            }
        }
    }

    /** Refuses, naming every privilege {@code user} lacks and the grants that give them, unless none is missing. */
    public static void requireGranted(String user, List<String> missing, List<String> grants) throws BackfillException {
        if (missing.isEmpty()) return;
        throw new BackfillException(Kind.INSUFFICIENT_PRIVILEGE, "database user '" + user + "' lacks " + String.join("; ", missing)
            + ". Run pgbackfill as the user Open WebUI connects with (the owner of its tables), or have an administrator run: "
            + String.join(" ", grants));
    }

    /** An identifier as SQL takes it: bare when it is a plain lower-case name, else quoted. */
    public static String quote(String identifier) {
        return identifier.matches("[a-z_][a-z0-9_]*") ? identifier : "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static String searchPath(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW search_path")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String serverVersion(Connection c) throws SQLException {
        return setting(c, "server_version");
    }

    private static String setting(Connection c, String name) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** What a stamped database lacks of the finished chat_message (the table, its primary key, its validated foreign key), or null. */
    private static String missingFromFinishedTarget(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('chat_message') IS NOT NULL, "
                + "EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '" + TargetSchema.PRIMARY_KEY_NAME + "' "
                + "AND conrelid = to_regclass('chat_message')), EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '"
                + TargetSchema.FOREIGN_KEY_NAME + "' AND conrelid = to_regclass('chat_message') AND convalidated)")) {
            rs.next();
            if (!rs.getBoolean(1)) return "has no chat_message table";
            if (!rs.getBoolean(2)) return "chat_message has no primary key";
            if (!rs.getBoolean(3)) return "chat_message has no validated foreign key to chat";
            return null;
        }
    }

    /** chat.id's collation, as a quoted qualified name usable in a COLLATE clause. */
    private static String idCollation(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT quote_ident(n.nspname) || '.' || quote_ident(co.collname) FROM pg_attribute a "
                 + "JOIN pg_collation co ON co.oid = a.attcollation JOIN pg_namespace n ON n.oid = co.collnamespace "
                 + "WHERE a.attrelid = 'chat'::regclass AND a.attname = 'id'")) {
            return rs.next() ? rs.getString(1) : "pg_catalog.\"default\"";
        }
    }

    /** lz4 when the server was built with it (TOAST compression dominated the write, DESIGN.md), else pglz. */
    private static String toastCompression(Connection c) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL default_toast_compression = lz4");
            return "lz4";
        } catch (SQLException e) {   // 22023 invalid value (built without lz4); 42704 no such setting (PostgreSQL 13)
            if (!"22023".equals(e.getSQLState()) && !"42704".equals(e.getSQLState())) throw e;
            return "pglz";
        } finally {
            c.rollback();
            c.setAutoCommit(auto);
        }
    }
}
