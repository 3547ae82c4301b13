package org.pgbackfill.state;

import org.pgbackfill.phase.Phase;

import org.pgbackfill.source.KeyRange;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The run's durable state, all in the tool's schema: the run (its fixed "now", the phase it
 * completed), its ranges with their state and lease, and the rejections. Every process working on
 * the run coordinates through these rows and nothing else: ranges are claimed with
 * {@code FOR UPDATE SKIP LOCKED} and a lease that expires if its holder stops renewing it, and the
 * steps that must happen once are taken under an advisory lock on the run.
 *
 * <p>A range moves {@code pending → loading → loaded → merged} (stored so since the first version, so that
 * runs started by earlier versions resume; shown as "settled", what it means now: its rows were
 * checked against what was read). Every claim increments the range's
 * {@code attempt}; rejections carry the attempt that produced them, and only the range's final
 * attempt counts. Rows in chat_message carry no attempt: a writer's transaction commits only while
 * its attempt is the range's current one, and a new attempt deletes what earlier ones committed,
 * so a process that lost its lease but still writes cannot double anything. The leases' statements,
 * as one process uses them, are {@link RangeLeases}'.
 */
public final class ControlTables {
    private final String s;

    public ControlTables(String schema) { this.s = schema; }

    /**
     * SQL: the lease of a loading range is over — expired, or its holder has no session left (every
     * connection of a process carries the lease owner as its application_name).
     */
    public static final String LEASE_LAPSED = "(lease_until < now() OR NOT EXISTS "
        + "(SELECT 1 FROM pg_stat_activity a WHERE a.application_name = owner))";

    public String schema() { return s; }

    /** How a process claims, renews, reports on and gives back ranges (the range rows' lease columns). */
    public RangeLeases leases() { return new RangeLeases(s); }

    /** The advisory lock key under which steps that must run once are taken. */
    public String lockKey() { return "pgbackfill:" + s; }

    public void create(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            // CREATE SCHEMA IF NOT EXISTS checks CREATE on the database even when the schema exists: a schema an
            // administrator made for the tool (granting only CREATE and USAGE on it) must not be created again
            if (!schemaExists(c)) st.execute("CREATE SCHEMA IF NOT EXISTS " + s);
            st.execute("CREATE TABLE IF NOT EXISTS " + s + ".run ("
                + " run_id bigint PRIMARY KEY, started_at timestamptz NOT NULL DEFAULT now(), now_epoch bigint NOT NULL,"
                + " workers int NOT NULL, phase text NOT NULL, created_target boolean NOT NULL DEFAULT false,"
                + " finished_at timestamptz, online boolean NOT NULL DEFAULT false, paused boolean NOT NULL DEFAULT false,"
                + " hold_reason text, toast_compression text)");
            st.execute("CREATE TABLE IF NOT EXISTS " + s + ".range ("
                + " run_id bigint NOT NULL, range_id int NOT NULL, lo text, hi text, estimated_bytes bigint NOT NULL,"
                + " state text NOT NULL DEFAULT 'pending', owner text, lease_until timestamptz, attempt int NOT NULL DEFAULT 0,"
                + " chats bigint, rows_staged bigint, document_bytes bigint, last_error text,"
                // how far the current attempt has read, recorded every few seconds for status on any machine
                + " claimed_at timestamptz, read_units bigint, read_bytes bigint, read_seconds float8, read_done boolean,"
                + " read_at timestamptz, PRIMARY KEY (run_id, range_id))");
            st.execute("CREATE TABLE IF NOT EXISTS " + s + ".rejected_message ("
                + " run_id bigint NOT NULL, range_id int, attempt int, chat_id text NOT NULL, message_key text NOT NULL,"
                // message_key_json: the key exactly, as a JSON string (message_key cannot hold a NUL or a lone surrogate)
                + " reason text NOT NULL, detail text, raw_json text, rejected_at timestamptz NOT NULL DEFAULT now(),"
                + " message_key_json text)");
            st.execute("CREATE TABLE IF NOT EXISTS " + s + ".rejected_chat ("
                + " run_id bigint NOT NULL, range_id int, attempt int, chat_id text NOT NULL, reason text NOT NULL, detail text,"
                + " raw_prefix text, rejected_at timestamptz NOT NULL DEFAULT now())");
        }
    }

    /** An unfinished run: its id, its fixed "now", whether it created chat_message, the last phase it completed, whether it is online. */
    public record OpenRun(long runId, long nowEpoch, boolean createdTarget, String phase, boolean online) { }

    public OpenRun openRun(Connection c) throws SQLException {
        if (!exists(c)) return null;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT run_id, now_epoch, created_target, phase, online FROM " + s
                 + ".run WHERE finished_at IS NULL ORDER BY run_id DESC LIMIT 1")) {
            return rs.next() ? new OpenRun(rs.getLong(1), rs.getLong(2), rs.getBoolean(3), rs.getString(4), rs.getBoolean(5)) : null;
        }
    }

    private boolean schemaExists(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regnamespace(?) IS NOT NULL")) {
            ps.setString(1, s);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    public boolean exists(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, s + ".run");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    public long startRun(Connection c, long nowEpoch, int workers, boolean online) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("INSERT INTO " + s + ".run (run_id, now_epoch, workers, phase, online) "
                 + "SELECT coalesce(max(run_id), 0) + 1, " + nowEpoch + ", " + workers + ", 'check', " + online + " FROM " + s
                 + ".run RETURNING run_id")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Abandons an unfinished run (for --restart): it stays in the table, marked abandoned. */
    public void abandon(Connection c, long runId) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("UPDATE " + s + ".run SET phase = 'abandoned', finished_at = now() WHERE run_id = " + runId);
            st.execute("DELETE FROM " + s + ".range WHERE run_id = " + runId);
        }
    }

    public void phase(Connection c, long runId, Phase phase) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("UPDATE " + s + ".run SET phase = '" + phase.label() + "' WHERE run_id = " + runId);
        }
    }

    /** Records the TOAST compression the run's rows get (lz4 or pglz; the last process to start says). */
    public void toastCompression(Connection c, long runId, String method) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".run SET toast_compression = ? WHERE run_id = ?")) {
            ps.setString(1, method);
            ps.setLong(2, runId);
            ps.executeUpdate();
        }
    }

    public void createdTarget(Connection c, long runId) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("UPDATE " + s + ".run SET created_target = true WHERE run_id = " + runId);
        }
    }

    public void finish(Connection c, long runId) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("UPDATE " + s + ".run SET phase = 'stamp', finished_at = now() WHERE run_id = " + runId);
        }
    }

    public void saveRanges(Connection c, long runId, List<KeyRange> ranges) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + s
                + ".range (run_id, range_id, lo, hi, estimated_bytes) VALUES (?, ?, ?, ?, ?)")) {
            for (KeyRange r : ranges) {
                ps.setLong(1, runId);
                ps.setInt(2, r.id());
                ps.setString(3, r.lo());
                ps.setString(4, r.hi());
                ps.setLong(5, r.estimatedBytes());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    public List<KeyRange> ranges(Connection c, long runId) throws SQLException {
        List<KeyRange> out = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT range_id, lo, hi, estimated_bytes FROM " + s + ".range WHERE run_id = "
                 + runId + " ORDER BY range_id")) {
            while (rs.next()) out.add(new KeyRange(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getLong(4)));
        }
        return out;
    }

    /** The stored (compressed) document bytes of the run's ranges not loaded yet, as planned. */
    public long bytesToLoad(Connection c, long runId) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(sum(estimated_bytes), 0) FROM " + s + ".range WHERE run_id = " + runId
                 + " AND state IN ('pending', 'loading')")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** A range this process holds: the range and the attempt number its rows are written under. */
    public record Claim(KeyRange range, int attempt) { }

    /**
     * How far a reader has read its claimed range: stored bytes as the planner counts them, document bytes, the seconds it
     * has been reading (measured by the reader: no clock is compared), and whether it has read the whole range.
     */
    public record ReadProgress(Claim claim, long plannedUnits, long documentBytes, double seconds, boolean done) { }

    /** Ranges by state. */
    public Map<String, Long> rangeStates(Connection c, long runId) throws SQLException {
        Map<String, Long> m = new TreeMap<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT CASE state WHEN 'merged' THEN 'settled' ELSE state END, count(*) FROM " + s
                 + ".range WHERE run_id = " + runId + " GROUP BY 1")) {
            while (rs.next()) m.put(rs.getString(1), rs.getLong(2));
        }
        return m;
    }

    /**
     * Makes every loaded range final: rejections recorded by attempts other than a range's last are
     * dropped, and the range is marked merged. Returns the rows of the ranges it marked.
     */
    public long settleLoadedRanges(Connection c, long runId) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String t : new String[] {"rejected_message", "rejected_chat"}) {
                st.executeUpdate("DELETE FROM " + s + "." + t + " x USING " + s + ".range r WHERE x.run_id = " + runId
                    + " AND r.run_id = x.run_id AND r.range_id = x.range_id AND x.attempt <> r.attempt");
            }
            try (ResultSet rs = st.executeQuery("WITH m AS (UPDATE " + s + ".range SET state = 'merged' WHERE run_id = " + runId
                    + " AND state = 'loaded' RETURNING rows_staged) SELECT coalesce(sum(rows_staged), 0) FROM m")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Gives loaded ranges back to be loaded again (their next attempt first deletes what this one committed). */
    public void reopen(Connection c, long runId, List<Integer> rangeIds) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".range SET state = 'pending', owner = NULL, lease_until = NULL "
                + "WHERE run_id = ? AND range_id = ANY (?) AND state = 'loaded'")) {
            ps.setLong(1, runId);
            ps.setArray(2, c.createArrayOf("int4", rangeIds.toArray()));
            ps.executeUpdate();
        }
    }

    /** Pauses or resumes the unfinished run; returns its id, or -1 when there is none. */
    public long setPaused(Connection c, boolean paused) throws SQLException {
        if (!exists(c)) return -1;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("UPDATE " + s + ".run SET paused = " + paused + " WHERE finished_at IS NULL RETURNING run_id")) {
            long id = -1;
            while (rs.next()) id = Math.max(id, rs.getLong(1));
            return id;
        }
    }

    public boolean paused(Connection c, long runId) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT paused FROM " + s + ".run WHERE run_id = " + runId)) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /** Records why the run holds (null: it does not), for {@code status}. */
    public void holdReason(Connection c, long runId, String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".run SET hold_reason = ? WHERE run_id = ?")) {
            ps.setString(1, reason);
            ps.setLong(2, runId);
            ps.executeUpdate();
        }
    }

    public Map<String, Long> rejectionsByReason(Connection c, long runId) throws SQLException {
        Map<String, Long> m = new TreeMap<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT reason, count(*) FROM " + s + ".rejected_message WHERE run_id = "
                 + runId + " GROUP BY reason UNION ALL SELECT 'chat:' || reason, count(*) FROM " + s
                 + ".rejected_chat WHERE run_id = " + runId + " GROUP BY reason")) {
            while (rs.next()) m.put(rs.getString(1), rs.getLong(2));
        }
        return m;
    }
}
