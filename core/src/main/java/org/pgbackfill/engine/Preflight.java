package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.db.Database;
import org.pgbackfill.db.DatabaseFailure;
import org.pgbackfill.db.SessionCheck;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What is checked on the first connection, before anything is written (and hours are spent): a
 * session of its own per connection (no pooler in transaction mode), settings the server accepts,
 * holds that can see what they watch, and connections enough for the workers.
 */
final class Preflight {
    private final BackfillConfig config;

    Preflight(BackfillConfig config) { this.config = config; }

    void check(Database db, Connection c) throws SQLException, BackfillException {
        SessionCheck.Pooling pooling = SessionCheck.detect(db::probe);
        if (pooling != SessionCheck.Pooling.NONE) throw new BackfillException(Kind.POOLER, SessionCheck.refusal(pooling, db.url()));
        requireServerAccepts(c, "maintenance_work_mem", config.maintenanceWorkMem());
        requireServerAccepts(c, "lock_timeout", config.lockTimeout());
        requireHoldsCanSee(c);
        ConnectionBudget budget = ConnectionBudget.read(c, config.workers(), config.writers());
        if (!budget.fits()) throw new BackfillException(Kind.BAD_SETTING, budget.refusal(config.workers()));
    }

    /**
     * The replication-lag and active-session holds read other sessions' rows of pg_stat_replication
     * and pg_stat_activity, which PostgreSQL shows as NULL to a role without pg_read_all_stats: such a
     * hold would never hold. Refused instead, with the grant that fixes it.
     */
    void requireHoldsCanSee(Connection c) throws SQLException, BackfillException {
        if (config.maxReplicationLagSeconds() <= 0 && config.maxActiveSessions() <= 0) return;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_user, (SELECT rolsuper FROM pg_roles "
                + "WHERE rolname = current_user) OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'), "
                // sessions on this database whose state is hidden from us: another role's, seen without pg_read_all_stats
                + "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usesysid IS NOT NULL "
                + " AND usename <> current_user AND state IS NULL)")) {
            rs.next();
            if (rs.getBoolean(2)) return;
            String user = rs.getString(1);
            List<String> holds = new java.util.ArrayList<>();
            // walsenders' lag columns are shown only with the privilege
            if (config.maxReplicationLagSeconds() > 0) holds.add("the replication-lag hold (pg_stat_replication)");
            // the application's sessions are visible when it connects as this same user (Open WebUI's DATABASE_URL)
            if (config.maxActiveSessions() > 0 && rs.getLong(3) > 0) {
                holds.add("the active-sessions hold (pg_stat_activity: " + rs.getLong(3) + " sessions of other users are hidden now)");
            }
            if (holds.isEmpty()) return;
            throw new BackfillException(Kind.INSUFFICIENT_PRIVILEGE, String.join(" and ", holds) + " must see other users' sessions, "
                + "which PostgreSQL shows database user '" + user + "' only with pg_read_all_stats: the hold would never hold. "
                + "GRANT pg_read_all_stats TO " + user + " (or pg_monitor), or run without that hold. Nothing was written");
        }
    }
    /** Only the server knows which values a setting takes: it is asked before anything is written (and hours are spent). */
    private static void requireServerAccepts(Connection c, String setting, String value) throws SQLException, BackfillException {
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config(?, ?, true)")) {
            ps.setString(1, setting);
            ps.setString(2, value);
            ps.execute();
        } catch (SQLException e) {
            if (e.getSQLState() == null || !e.getSQLState().startsWith("22")) throw e;   // data exceptions: invalid value, out of range
            throw new BackfillException(Kind.BAD_SETTING, setting + " = '" + value + "' is refused by the server: "
                + DatabaseFailure.rootMessage(e) + ". Nothing was written; give a value it accepts");
        } finally {
            c.rollback();
        }
    }}
