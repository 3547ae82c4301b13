package org.pgbackfill.run;

import org.pgbackfill.plan.KeyRange;

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
 * The run's own tables, all in the tool's schema: the run and the phase it reached, its ranges,
 * and the rejections. Nothing here is ever created in Open WebUI's schema.
 */
public final class ControlTables {
    private final String s;

    public ControlTables(String schema) { this.s = schema; }

    public String schema() { return s; }

    public String staging() { return s + ".staging"; }

    public String stagingPartition(int rangeId) { return s + ".staging_r" + rangeId; }

    public void create(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + s);
            st.execute("CREATE TABLE IF NOT EXISTS " + s + ".run ("
                + " run_id bigint PRIMARY KEY, started_at timestamptz NOT NULL DEFAULT now(), now_epoch bigint NOT NULL,"
                + " workers int NOT NULL, phase text NOT NULL, created_target boolean NOT NULL DEFAULT false,"
                + " finished_at timestamptz)");
            st.execute("CREATE TABLE IF NOT EXISTS " + s + ".range ("
                + " run_id bigint NOT NULL, range_id int NOT NULL, lo text, hi text, estimated_bytes bigint NOT NULL,"
                + " state text NOT NULL DEFAULT 'pending', chats bigint, rows_staged bigint, document_bytes bigint,"
                + " PRIMARY KEY (run_id, range_id))");
            st.execute("CREATE TABLE IF NOT EXISTS " + s + ".rejected_message ("
                + " run_id bigint NOT NULL, chat_id text NOT NULL, message_key text NOT NULL, reason text NOT NULL,"
                + " detail text, raw_json text, rejected_at timestamptz NOT NULL DEFAULT now())");
            st.execute("CREATE TABLE IF NOT EXISTS " + s + ".rejected_chat ("
                + " run_id bigint NOT NULL, chat_id text NOT NULL, reason text NOT NULL, detail text,"
                + " raw_prefix text, rejected_at timestamptz NOT NULL DEFAULT now())");
        }
    }

    /** An unfinished run: its id, its fixed "now", and whether it created chat_message. */
    public record OpenRun(long runId, long nowEpoch, boolean createdTarget, String phase) { }

    public OpenRun openRun(Connection c) throws SQLException {
        if (!exists(c)) return null;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT run_id, now_epoch, created_target, phase FROM " + s
                 + ".run WHERE finished_at IS NULL ORDER BY run_id DESC LIMIT 1")) {
            return rs.next() ? new OpenRun(rs.getLong(1), rs.getLong(2), rs.getBoolean(3), rs.getString(4)) : null;
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

    public long startRun(Connection c, long nowEpoch, int workers) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("INSERT INTO " + s + ".run (run_id, now_epoch, workers, phase) "
                 + "SELECT coalesce(max(run_id), 0) + 1, " + nowEpoch + ", " + workers + ", 'check' FROM " + s
                 + ".run RETURNING run_id")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Forgets what an unfinished run had done (its ranges and rejections), keeping its id and "now". */
    public void resetRun(Connection c, long runId) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DELETE FROM " + s + ".range WHERE run_id = " + runId);
            st.execute("DELETE FROM " + s + ".rejected_message WHERE run_id = " + runId);
            st.execute("DELETE FROM " + s + ".rejected_chat WHERE run_id = " + runId);
            st.execute("UPDATE " + s + ".run SET phase = 'check', created_target = false WHERE run_id = " + runId);
        }
    }

    public void phase(Connection c, long runId, Phase phase) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("UPDATE " + s + ".run SET phase = '" + phase.label() + "' WHERE run_id = " + runId);
        }
    }

    public void createdTarget(Connection c, long runId) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("UPDATE " + s + ".run SET created_target = true WHERE run_id = " + runId);
        }
    }

    public void finish(Connection c, long runId) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("UPDATE " + s + ".run SET phase = 'done', finished_at = now() WHERE run_id = " + runId);
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

    public void rangeLoaded(Connection c, long runId, int rangeId, long chats, long rows, long bytes) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + s
                + ".range SET state = 'loaded', chats = ?, rows_staged = ?, document_bytes = ? WHERE run_id = ? AND range_id = ?")) {
            ps.setLong(1, chats);
            ps.setLong(2, rows);
            ps.setLong(3, bytes);
            ps.setLong(4, runId);
            ps.setInt(5, rangeId);
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

    public List<Integer> rangeIds(Connection c, long runId) throws SQLException {
        List<Integer> ids = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT range_id FROM " + s + ".range WHERE run_id = " + runId + " ORDER BY range_id")) {
            while (rs.next()) ids.add(rs.getInt(1));
        }
        return ids;
    }
}
