package org.pgbackfill.state;

import org.pgbackfill.source.KeyRange;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * The leases on a run's ranges ({@link ControlTables}' {@code range} rows), as one process uses
 * them: claim a free or lapsed range ({@code FOR UPDATE SKIP LOCKED}, the attempt incremented), renew
 * what it holds, record how far its readers have read, mark a range loaded or give it back. Every
 * statement names the claim's attempt and owner, so a process that lost a lease changes nothing: it
 * is how several processes share one run with no other coordination.
 */
public final class RangeLeases {
    private final String s;

    RangeLeases(String schema) { this.s = schema; }

    /**
     * Claims a range to load: a pending one, or one whose holder's lease expired. Returns null when
     * none is free right now (others may still hold some).
     */
    public ControlTables.Claim claimRange(Connection c, long runId, String owner, int leaseSeconds) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".range r SET state = 'loading', owner = ?, "
                + "lease_until = now() + make_interval(secs => ?), attempt = r.attempt + 1, "
                + "claimed_at = now(), read_units = NULL, read_bytes = NULL, read_seconds = NULL, read_done = NULL, read_at = NULL "
                + "WHERE (r.run_id, r.range_id) = (SELECT run_id, range_id FROM " + s + ".range WHERE run_id = ? "
                + "AND (state = 'pending' OR (state = 'loading' AND " + ControlTables.LEASE_LAPSED + ")) ORDER BY estimated_bytes DESC, range_id "
                + "LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING r.range_id, r.lo, r.hi, r.estimated_bytes, r.attempt")) {
            ps.setString(1, owner);
            ps.setInt(2, leaseSeconds);
            ps.setLong(3, runId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return null;
                return new ControlTables.Claim(new KeyRange(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getLong(4)), rs.getInt(5));
            }
        }
    }

    /** Extends the leases this process holds; returns how many it still holds. */
    public int renewLeases(Connection c, long runId, String owner, int leaseSeconds) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".range SET lease_until = now() + make_interval(secs => ?) "
                + "WHERE run_id = ? AND owner = ? AND state = 'loading'")) {
            ps.setInt(1, leaseSeconds);
            ps.setLong(2, runId);
            ps.setString(3, owner);
            return ps.executeUpdate();
        }
    }

    /**
     * Records how far this process's readers have read their ranges (for {@code status} on any machine: a rate and an
     * ETA from the first seconds of the load). One single-row statement per range, each its own transaction, so it
     * never holds one range's row while waiting for another's (a writer's fence holds them until its commit).
     */
    public void recordProgress(Connection c, long runId, String owner, List<ControlTables.ReadProgress> progress) throws SQLException {
        if (progress.isEmpty()) return;
        c.setAutoCommit(true);
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".range SET read_units = ?, read_bytes = ?, read_seconds = ?, "
                + "read_done = ?, read_at = now() WHERE run_id = ? AND range_id = ? AND attempt = ? AND owner = ? "
                // a range's last record may come after its writers committed it
                + "AND (state = 'loading' OR (state = 'loaded' AND ?))")) {
            for (ControlTables.ReadProgress p : progress) {
                ps.setLong(1, p.plannedUnits());
                ps.setLong(2, p.documentBytes());
                ps.setDouble(3, p.seconds());
                ps.setBoolean(4, p.done());
                ps.setLong(5, runId);
                ps.setInt(6, p.claim().range().id());
                ps.setInt(7, p.claim().attempt());
                ps.setString(8, owner);
                ps.setBoolean(9, p.done());
                ps.executeUpdate();
            }
        }
    }

    /** Marks a range loaded, if this claim still holds it (a lost lease makes this a no-op). */
    public boolean rangeLoaded(Connection c, long runId, ControlTables.Claim claim, String owner, long chats, long rows, long bytes) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".range SET state = 'loaded', chats = ?, rows_staged = ?, "
                + "document_bytes = ?, lease_until = NULL, last_error = NULL WHERE run_id = ? AND range_id = ? AND attempt = ? "
                + "AND owner = ? AND state = 'loading'")) {
            ps.setLong(1, chats);
            ps.setLong(2, rows);
            ps.setLong(3, bytes);
            ps.setLong(4, runId);
            ps.setInt(5, claim.range().id());
            ps.setInt(6, claim.attempt());
            ps.setString(7, owner);
            return ps.executeUpdate() == 1;
        }
    }

    /** Gives a range back (its load failed or the process is stopping); returns its attempts so far. */
    public int releaseRange(Connection c, long runId, ControlTables.Claim claim, String owner, String error) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".range SET state = 'pending', owner = NULL, lease_until = NULL, "
                + "last_error = ? WHERE run_id = ? AND range_id = ? AND attempt = ? AND owner = ? AND state = 'loading' RETURNING attempt")) {
            ps.setString(1, error);
            ps.setLong(2, runId);
            ps.setInt(3, claim.range().id());
            ps.setInt(4, claim.attempt());
            ps.setString(5, owner);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : claim.attempt();
            }
        }
    }

    /** Gives back every range this process holds. */
    public void releaseAll(Connection c, long runId, String owner) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".range SET state = 'pending', owner = NULL, lease_until = NULL "
                + "WHERE run_id = ? AND owner = ? AND state = 'loading'")) {
            ps.setLong(1, runId);
            ps.setString(2, owner);
            ps.executeUpdate();
        }
    }
}
