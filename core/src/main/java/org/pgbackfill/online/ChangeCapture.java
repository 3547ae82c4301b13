package org.pgbackfill.online;

import org.pgbackfill.control.Backoff;
import org.pgbackfill.db.SqlStates;
import org.pgbackfill.db.Transactions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Records which chats the application changes while an online run reads them: an AFTER INSERT,
 * UPDATE or DELETE trigger on {@code chat} writes the chat's id into the tool's
 * {@code changed_chat} table, in the application's own transaction, with a new version number
 * each time.
 *
 * <p>Why it cannot miss a change: the trigger is in place before the load reads anything. A
 * change committed before a range's read snapshot is seen by that read; one committed after it
 * fired the trigger in the same transaction, so its id is in {@code changed_chat} exactly when
 * the change is visible. {@code CREATE TRIGGER} waits for the transactions already writing
 * {@code chat}, so none slips past it. Deletes, renames of ids and changes of {@code user_id}
 * (which decides whether a chat is read at all) are recorded too. Watermarks on
 * {@code chat.updated_at} would miss deletes, a transaction that commits after a later one, and
 * any save that does not bump the column; they are not used.
 *
 * <p>The trigger function is SECURITY DEFINER (it runs as the tool's role, so the application's
 * role needs no grant on the tool's schema) with a fixed search_path. Installing takes a SHARE
 * ROW EXCLUSIVE lock on {@code chat} for a moment; it is tried with a short lock_timeout, again
 * and again, so the application never queues behind it for longer than that. {@link #remove}
 * drops everything it installed.
 *
 * <p>The first job's capture is {@link #ChangeCapture(String)}: one trigger on {@code chat}, every
 * update. A job whose result also depends on other tables (or on only some of chat's columns) names
 * its own {@link Source}s and log: every trigger writes the affected chat ids into the same log, and
 * all of them are created in one transaction, so the capture is in place on every table or on none.
 */
public final class ChangeCapture {
    private static final Logger log = LoggerFactory.getLogger(ChangeCapture.class);
    public static final String TRIGGER = "pgbackfill_capture_chat_change";
    /** How long the install may hold up the application's writes on {@code chat}, per try. */
    public static final String INSTALL_LOCK_TIMEOUT = "1s";
    public static final int INSTALL_TRIES = 60;

    /**
     * One captured table: its trigger and trigger function (in the tool's schema), the column that
     * holds the chat id ({@code id} on chat, {@code chat_id} on chat_message), and, when not null,
     * the columns whose UPDATE counts ({@code UPDATE OF ...}; null: every update).
     */
    public record Source(String table, String chatIdColumn, String updateOf, String trigger, String function) { }

    /**
     * An online run needs ownership of every captured table (or membership in its owner's role): it adds a trigger
     * to each (TRIGGER would do), finish locks each IN SHARE MODE (UPDATE would do) and drops the triggers, which
     * PostgreSQL lets only the owner do. Refused at once, naming each table and the GRANT that gives it (as the
     * check names the other privileges), before anything of the capture is made: not at the cut-over.
     */
    private void requireTriggerPrivilege(Connection c) throws SQLException, org.pgbackfill.BackfillException {
        List<String> missing = new java.util.ArrayList<>(), grants = new java.util.ArrayList<>();
        String user;
        try (Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery("SELECT current_user")) {
            rs.next();
            user = rs.getString(1);
        }
        for (Source s : sources) {
            try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT pg_has_role(relowner, 'USAGE'), pg_get_userbyid(relowner) "
                    + "FROM pg_class WHERE oid = ?::regclass")) {
                ps.setString(1, s.table());
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && !rs.getBoolean(1)) {
                        missing.add("ownership of table " + s.table() + " (an online run adds a trigger to it, and finish drops it: "
                            + "PostgreSQL lets only the owner drop a trigger; it is owned by " + rs.getString(2) + ")");
                        String g = "GRANT " + org.pgbackfill.schema.SchemaCheck.quote(rs.getString(2)) + " TO "
                            + org.pgbackfill.schema.SchemaCheck.quote(user) + ";";
                        if (!grants.contains(g)) grants.add(g);
                    }
                }
            }
        }
        if (missing.isEmpty()) return;
        org.pgbackfill.schema.SchemaCheck.requireGranted(user, missing, grants);
    }

    private final String schema;
    private final String logTable;
    private final String sequence;
    private final List<Source> sources;

    /** The first job's capture: every change to {@code chat}, into {@code changed_chat}. */
    public ChangeCapture(String schema) {
        this(schema, "changed_chat", "change_version", List.of(new Source("chat", "id", null, TRIGGER, "capture_chat_change")));
    }

    /** A capture of {@code sources} into the log {@code schema.logTable}, versions from {@code schema.sequence}. */
    public ChangeCapture(String schema, String logTable, String sequence, List<Source> sources) {
        if (sources.isEmpty()) throw new IllegalArgumentException("nothing to capture");
        this.schema = schema;
        this.logTable = logTable;
        this.sequence = sequence;
        this.sources = List.copyOf(sources);
    }

    public String log() { return schema + "." + logTable; }

    /** The sequence that numbers the changes (qualified). */
    public String sequence() { return schema + "." + sequence; }

    public List<Source> sources() { return sources; }

    private String function(Source s) { return schema + "." + s.function(); }

    /** Whether every trigger is in place. */
    public boolean installed(Connection c) throws SQLException {
        for (Source s : sources) {
            if (!installed(c, s)) return false;
        }
        return true;
    }

    private static boolean installed(Connection c, Source s) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '" + s.trigger()
                 + "' AND tgrelid = '" + s.table() + "'::regclass)")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Creates the change table, the functions and the triggers (idempotent). */
    public void install(Connection c) throws SQLException, InterruptedException, org.pgbackfill.BackfillException {
        requireTriggerPrivilege(c);
        boolean auto = c.getAutoCommit();
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + log() + " (chat_id text PRIMARY KEY, version bigint NOT NULL)");
            st.execute("CREATE SEQUENCE IF NOT EXISTS " + sequence());
            for (Source s : sources) {
                String id = s.chatIdColumn();
                st.execute("CREATE OR REPLACE FUNCTION " + function(s) + "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
                    + "SET search_path = pg_catalog, pg_temp AS $f$\n"
                    + "BEGIN\n"
                    + "  IF TG_OP <> 'INSERT'" + (id.equals("id") ? "" : " AND OLD." + id + " IS NOT NULL") + " THEN\n"
                    + "    INSERT INTO " + log() + " VALUES (OLD." + id + ", nextval('" + sequence() + "'))\n"
                    + "      ON CONFLICT (chat_id) DO UPDATE SET version = EXCLUDED.version;\n"
                    + "  END IF;\n"
                    + "  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW." + id + " IS DISTINCT FROM OLD." + id + ")"
                    + (id.equals("id") ? "" : " AND NEW." + id + " IS NOT NULL") + " THEN\n"
                    + "    INSERT INTO " + log() + " VALUES (NEW." + id + ", nextval('" + sequence() + "'))\n"
                    + "      ON CONFLICT (chat_id) DO UPDATE SET version = EXCLUDED.version;\n"
                    + "  END IF;\n"
                    + "  RETURN NULL;\n"
                    + "END $f$");
            }
            if (installed(c)) return;
            c.setAutoCommit(false);
            for (int attempt = 1; ; attempt++) {
                try {
                    st.execute("SET LOCAL lock_timeout = '" + INSTALL_LOCK_TIMEOUT + "'");
                    for (Source s : sources) {
                        if (installed(c, s)) continue;
                        String update = s.updateOf() == null ? "UPDATE" : "UPDATE OF " + s.updateOf();
                        st.execute("CREATE TRIGGER " + s.trigger() + " AFTER INSERT OR " + update + " OR DELETE ON " + s.table()
                            + " FOR EACH ROW EXECUTE FUNCTION " + function(s) + "()");
                    }
                    c.commit();
                    for (Source s : sources) log.info("change capture installed on {} (trigger {})", s.table(), s.trigger());
                    return;
                } catch (SQLException e) {
                    Transactions.rollbackAfter(c, e);
                    if (!SqlStates.LOCK_NOT_AVAILABLE.equals(e.getSQLState()) || attempt >= INSTALL_TRIES) throw e;   // lock_not_available
                    log.info("{} is busy; trying to install the change capture again ({} of {})", tables(), attempt, INSTALL_TRIES);
                    Backoff.LOCK.sleep(attempt);
                }
            }
        } finally {
            Transactions.restoreAutoCommit(c, auto);
        }
    }

    private String tables() {
        return String.join(" or ", sources.stream().map(Source::table).toList());
    }

    /** Chats changed and not yet caught up with. */
    public long pending(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('" + log() + "') IS NULL")) {
                rs.next();
                if (rs.getBoolean(1)) return 0;   // not an online run
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + log())) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Drops the triggers, their functions, the change table and the sequence, in the caller's transaction. */
    public void remove(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (Source s : sources) {
                try (ResultSet rs = st.executeQuery("SELECT to_regclass('" + s.table() + "') IS NOT NULL")) {
                    rs.next();
                    if (rs.getBoolean(1)) st.execute("DROP TRIGGER IF EXISTS " + s.trigger() + " ON " + s.table());
                }
                st.execute("DROP FUNCTION IF EXISTS " + function(s) + "()");
            }
            st.execute("DROP TABLE IF EXISTS " + log());
            st.execute("DROP SEQUENCE IF EXISTS " + sequence());
        }
    }
}
