package org.pgbackfill.online;

import org.pgbackfill.control.Backoff;
import org.pgbackfill.db.SqlStates;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

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
 */
public final class ChangeCapture {
    private static final Logger log = LoggerFactory.getLogger(ChangeCapture.class);
    public static final String TRIGGER = "pgbackfill_capture_chat_change";
    /** How long the install may hold up the application's writes on {@code chat}, per try. */
    public static final String INSTALL_LOCK_TIMEOUT = "1s";
    public static final int INSTALL_TRIES = 60;

    private final String schema;

    public ChangeCapture(String schema) { this.schema = schema; }

    public String log() { return schema + ".changed_chat"; }

    private String function() { return schema + ".capture_chat_change"; }

    /** Whether the trigger is on {@code chat}. */
    public boolean installed(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '" + TRIGGER
                 + "' AND tgrelid = 'chat'::regclass)")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Creates the change table, the function and the trigger (idempotent). */
    public void install(Connection c) throws SQLException, InterruptedException {
        boolean auto = c.getAutoCommit();
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + log() + " (chat_id text PRIMARY KEY, version bigint NOT NULL)");
            st.execute("CREATE SEQUENCE IF NOT EXISTS " + schema + ".change_version");
            st.execute("CREATE OR REPLACE FUNCTION " + function() + "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
                + "SET search_path = pg_catalog, pg_temp AS $f$\n"
                + "BEGIN\n"
                + "  IF TG_OP <> 'INSERT' THEN\n"
                + "    INSERT INTO " + log() + " VALUES (OLD.id, nextval('" + schema + ".change_version'))\n"
                + "      ON CONFLICT (chat_id) DO UPDATE SET version = EXCLUDED.version;\n"
                + "  END IF;\n"
                + "  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.id IS DISTINCT FROM OLD.id) THEN\n"
                + "    INSERT INTO " + log() + " VALUES (NEW.id, nextval('" + schema + ".change_version'))\n"
                + "      ON CONFLICT (chat_id) DO UPDATE SET version = EXCLUDED.version;\n"
                + "  END IF;\n"
                + "  RETURN NULL;\n"
                + "END $f$");
            if (installed(c)) return;
            c.setAutoCommit(false);
            for (int attempt = 1; ; attempt++) {
                try {
                    st.execute("SET LOCAL lock_timeout = '" + INSTALL_LOCK_TIMEOUT + "'");
                    st.execute("CREATE TRIGGER " + TRIGGER + " AFTER INSERT OR UPDATE OR DELETE ON chat FOR EACH ROW EXECUTE FUNCTION "
                        + function() + "()");
                    c.commit();
                    log.info("change capture installed on chat (trigger {})", TRIGGER);
                    return;
                } catch (SQLException e) {
                    c.rollback();
                    if (!SqlStates.LOCK_NOT_AVAILABLE.equals(e.getSQLState()) || attempt >= INSTALL_TRIES) throw e;   // lock_not_available
                    log.info("chat is busy; trying to install the change capture again ({} of {})", attempt, INSTALL_TRIES);
                    Backoff.LOCK.sleep(attempt);
                }
            }
        } finally {
            c.setAutoCommit(auto);
        }
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

    /** Drops the trigger, its function, the change table and the sequence, in the caller's transaction. */
    public void remove(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DROP TRIGGER IF EXISTS " + TRIGGER + " ON chat");
            st.execute("DROP FUNCTION IF EXISTS " + function() + "()");
            st.execute("DROP TABLE IF EXISTS " + log());
            st.execute("DROP SEQUENCE IF EXISTS " + schema + ".change_version");
        }
    }
}
