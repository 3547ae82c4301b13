package org.pgbackfill.engine;

import org.pgbackfill.state.ControlTables;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a {@link RunStatus} from the control tables alone: the run's row, its ranges by state and
 * what the loaded ones recorded, the leases, the rejections, and what the ranges being read have
 * recorded lately.
 */
final class RunStatusQuery {
    private RunStatusQuery() { }

    /** The latest run in {@code schema}, or null when the tool never ran on this database. */
    static RunStatus read(Connection c, String schema) throws SQLException {
        ControlTables control = new ControlTables(schema);
        if (!control.exists(c)) return null;
        long runId;
        String phase, startedAt, finishedAt, holdReason, toast;
        long now;
        double elapsed;
        boolean online, paused;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT run_id, phase, now_epoch, started_at::text, finished_at::text, "
                 + "extract(epoch FROM coalesce(finished_at, now()) - started_at)::float8, online, paused, hold_reason, "
                 // through to_jsonb: a control table made by an older version has no such column
                 + "to_jsonb(r) ->> 'toast_compression' FROM " + schema + ".run r ORDER BY run_id DESC LIMIT 1")) {
            if (!rs.next()) return null;
            runId = rs.getLong(1);
            phase = rs.getString(2);
            now = rs.getLong(3);
            startedAt = rs.getString(4);
            finishedAt = rs.getString(5);
            elapsed = rs.getDouble(6);
            online = rs.getBoolean(7);
            paused = rs.getBoolean(8);
            holdReason = finishedAt == null ? rs.getString(9) : null;
            toast = rs.getString(10);
        }
        // each job's online run has its own change log; only the open run's exists (pending counts an absent log as 0)
        long pending = finishedAt == null ? new org.pgbackfill.online.ChangeCapture(schema).pending(c)
            + org.pgbackfill.job.currentmessage.CurrentMessageJob.changeCapture(schema).pending(c) : 0;
        long chats, rows, bytes, planned, loadedPlanned;
        try (Statement st = c.createStatement();
             // rows_staged: the column's name since the first version (kept so older control tables read); it holds rows written
             ResultSet rs = st.executeQuery("SELECT coalesce(sum(chats), 0), coalesce(sum(rows_staged), 0), coalesce(sum(document_bytes), 0), "
                 + "coalesce(sum(estimated_bytes), 0), coalesce(sum(estimated_bytes) FILTER (WHERE state IN ('loaded', 'merged')), 0) FROM "
                 + schema + ".range WHERE run_id = " + runId)) {
            rs.next();
            chats = rs.getLong(1);
            rows = rs.getLong(2);
            bytes = rs.getLong(3);
            planned = rs.getLong(4);
            loadedPlanned = rs.getLong(5);
        }
        RunStatus.Reading reading = RunStatus.Reading.NONE;
        if (finishedAt == null) {
            // through to_jsonb: a control table made by an older version has none of these columns (and reads as no progress)
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE state = 'loading' AND NOT done AND coalesce(read_at, claimed_at) "
                     // being read now: progress recorded lately, or claimed lately (its first record is due within seconds)
                     + "> now() - interval '10 seconds'), "
                     + "coalesce(sum(least(units, estimated_bytes)) FILTER (WHERE state = 'loading'), 0), "
                     + "coalesce(sum(bytes) FILTER (WHERE state = 'loading'), 0), "
                     // the rate of one range: those loading, and those loaded in the last minute (between two ranges, a reader has
                     // read nothing of its new one yet); a range that has read for less than a second says little
                     + "coalesce(avg(units / secs) FILTER (WHERE measured), 0), coalesce(avg(bytes / secs) FILTER (WHERE measured), 0) "
                     + "FROM (SELECT *, secs >= 1 AND (state = 'loading' OR (state = 'loaded' AND read_at > now() - interval '1 minute')) "
                     + "AS measured FROM (SELECT state, estimated_bytes, "
                     + "coalesce((j ->> 'read_units')::bigint, 0) AS units, coalesce((j ->> 'read_bytes')::bigint, 0) AS bytes, "
                     + "coalesce((j ->> 'read_seconds')::float8, 0) AS secs, coalesce((j ->> 'read_done')::boolean, false) AS done, "
                     + "(j ->> 'read_at')::timestamptz AS read_at, (j ->> 'claimed_at')::timestamptz AS claimed_at "
                     + "FROM (SELECT state, estimated_bytes, to_jsonb(r) AS j FROM " + schema + ".range r WHERE run_id = " + runId
                     + " AND state IN ('loading', 'loaded')) y) x) w")) {
                rs.next();
                reading = new RunStatus.Reading(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getDouble(4), rs.getDouble(5));
            }
        }
        // a process working on the run has sessions named after it (pgbackfill:host:pid:…): none means nobody works on it now
        int live = 0;
        if (finishedAt == null) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(DISTINCT application_name) FROM "
                    + "pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgbackfill:%' AND pid <> pg_backend_pid()")) {
                rs.next();
                live = rs.getInt(1);
            }
        }
        List<RunStatus.Lease> leases = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT range_id, owner, lease_until::text, attempt FROM " + schema + ".range WHERE run_id = "
                 + runId + " AND state = 'loading' ORDER BY range_id")) {
            while (rs.next()) leases.add(new RunStatus.Lease(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getInt(4)));
        }
        return new RunStatus(runId, phase, finishedAt != null, now, startedAt, finishedAt, elapsed, control.rangeStates(c, runId),
            chats, rows, bytes, planned, loadedPlanned, leases, new TreeMap<>(control.rejectionsByReason(c, runId)), online, paused,
            holdReason, pending, toast, live, reading, jobOf(c, schema, runId, finishedAt == null));
    }

    /**
     * Which job the run is (the run table does not say): current_message_id when the second job's tables hold the run's
     * ranges, or, unfinished, its staging exists (it is dropped by the stamp); else chat_message.
     */
    private static String jobOf(Connection c, String schema, long runId, boolean unfinished) throws SQLException {
        String q = schema.replace("'", "''");
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('" + q + ".current_message_range') IS NOT NULL, "
                + "to_regclass('" + q + ".current_message_staging') IS NOT NULL")) {
            rs.next();
            if (unfinished && rs.getBoolean(2)) return "current_message_id";
            if (!rs.getBoolean(1)) return "chat_message";
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM " + schema
                + ".current_message_range WHERE run_id = " + runId + ")")) {
            rs.next();
            return rs.getBoolean(1) ? "current_message_id" : "chat_message";
        }
    }

}
