package org.pgbackfill.control;

import org.pgbackfill.HoldCause;
import org.pgbackfill.concurrent.Threads;
import org.pgbackfill.phase.ProgressListener;
import org.pgbackfill.state.ControlTables;

import org.pgbackfill.db.ConnectionSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Decides, every second, whether the run must hold: paused in the control table (from any
 * machine), the replicas' replay lag above its limit, or more active sessions of other clients on
 * the database than allowed. The reason, a sentence with its {@link HoldCause}'s words in it, goes to
 * the {@link Throttle} (readers wait), the run's row in the control table (the run's status), the
 * metrics and the progress line.
 */
public final class HoldMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HoldMonitor.class);

    /** Where the monitor reads from and what it compares with. */
    /** How far behind the standbys are, in seconds. */
    interface LagProbe { double seconds(Connection c) throws SQLException; }

    private final ConnectionSource db;
    private final ControlTables control;
    private final long runId;
    private final String owner;
    private final double maxReplicationLagSeconds;
    private final int maxActiveSessions;
    private final Throttle throttle;
    private final ProgressListener progress;
    private final ScheduledExecutorService timer;
    private final LagProbe lag;
    private String last;

    public HoldMonitor(ConnectionSource db, ControlTables control, long runId, String owner, double maxReplicationLagSeconds, int maxActiveSessions,
                       Throttle throttle, ProgressListener progress) {
        this(db, control, runId, owner, maxReplicationLagSeconds, maxActiveSessions, throttle, progress, HoldMonitor::replicationLagSeconds);
    }

    HoldMonitor(ConnectionSource db, ControlTables control, long runId, String owner, double maxReplicationLagSeconds, int maxActiveSessions,
                Throttle throttle, ProgressListener progress, LagProbe lag) {
        this.lag = lag;
        this.db = db;
        this.control = control;
        this.runId = runId;
        this.owner = owner;
        this.maxReplicationLagSeconds = maxReplicationLagSeconds;
        this.maxActiveSessions = maxActiveSessions;
        this.throttle = throttle;
        this.progress = progress;
        this.timer = Threads.scheduler("pgbackfill-hold-monitor");
    }

    public HoldMonitor start() {
        check();
        timer.scheduleWithFixedDelay(this::check, 1, 1, TimeUnit.SECONDS);
        return this;
    }

    private void check() {
        String reason;
        try (Connection c = db.connection()) {
            reason = reason(c);
            if (!java.util.Objects.equals(reason, last)) {
                control.holdReason(c, runId, reason);
                progress.held(reason);
                last = reason;
            }
        } catch (SQLException e) {
            log.debug("hold check failed: {}", e.getMessage());
            return;   // keep the last decision
        }
        throttle.hold(reason);
    }

    /** Why the run must hold now, or null. */
    String reason(Connection c) throws SQLException {
        if (control.paused(c, runId)) return HoldCause.PAUSED.words();
        if (maxReplicationLagSeconds > 0) {
            double behind = lag.seconds(c);
            if (behind > maxReplicationLagSeconds) {
                return String.format(Locale.ROOT, "%s %.1f s is above the limit of %.1f s", HoldCause.REPLICATION_LAG.words(), behind,
                    maxReplicationLagSeconds);
            }
        }
        if (maxActiveSessions > 0) {
            long active = activeSessions(c);
            if (active > maxActiveSessions) {
                return active + " " + HoldCause.ACTIVE_SESSIONS.words() + " of other clients on the database, above the limit of "
                    + maxActiveSessions;
            }
        }
        return null;
    }

    /** The largest replay lag of the standbys streaming from this server (0 without standbys, or without the right to see it). */
    static double replicationLagSeconds(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(max(extract(epoch FROM replay_lag)), 0) FROM pg_stat_replication")) {
            rs.next();
            return rs.getDouble(1);
        }
    }

    private long activeSessions(Connection c) throws SQLException {
        try (var ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' "
                + "AND datname = current_database() AND application_name IS DISTINCT FROM ? AND pid <> pg_backend_pid()")) {
            ps.setString(1, owner);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Override public void close() {
        timer.shutdownNow();
        throttle.hold(null);
    }
}
