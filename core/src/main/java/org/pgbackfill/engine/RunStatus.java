package org.pgbackfill.engine;

import org.pgbackfill.phase.Phase;
import org.pgbackfill.state.ControlTables;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The state of the current or last run, read from the control tables only (so it works from any
 * machine that can reach the database, while processes are running): the phase, ranges by state,
 * who holds which leases, rows written, rejections by reason.
 */
public record RunStatus(long runId, String phase, boolean finished, long nowEpoch, String startedAt, String finishedAt, double elapsedSeconds,
                        Map<String, Long> rangesByState, long chatsRead, long rowsWritten, long documentBytes,
                        long plannedBytes, long loadedPlannedBytes, List<Lease> leases, Map<String, Long> rejectionsByReason,
                        boolean online, boolean paused, String holdReason, long pendingChanges, String toastCompression,
                        int liveProcesses) {

    /** What the run is doing now, for people and machines: one of these words. */
    public enum State { RUNNING, PAUSED, STOPPED, FINISHED, ABANDONED;
        public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** A range held by a process. */
    public record Lease(int rangeId, String owner, String leaseUntil, int attempt) { }

    /** The latest run in {@code schema}, or null when the tool never ran on this database. */
    public static RunStatus read(Connection c, String schema) throws SQLException {
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
        long pending = finishedAt == null ? new org.pgbackfill.online.ChangeCapture(schema).pending(c) : 0;
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
        // a process working on the run has sessions named after it (pgbackfill:host:pid:…): none means nobody works on it now
        int live = 0;
        if (finishedAt == null) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(DISTINCT application_name) FROM "
                    + "pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgbackfill:%' AND pid <> pg_backend_pid()")) {
                rs.next();
                live = rs.getInt(1);
            }
        }
        List<Lease> leases = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT range_id, owner, lease_until::text, attempt FROM " + schema + ".range WHERE run_id = "
                 + runId + " AND state = 'loading' ORDER BY range_id")) {
            while (rs.next()) leases.add(new Lease(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getInt(4)));
        }
        return new RunStatus(runId, phase, finishedAt != null, now, startedAt, finishedAt, elapsed, control.rangeStates(c, runId),
            chats, rows, bytes, planned, loadedPlanned, leases, new TreeMap<>(control.rejectionsByReason(c, runId)), online, paused,
            holdReason, pending, toast, live);
    }

    public State state() {
        if (finished) return "abandoned".equals(phase) ? State.ABANDONED : State.FINISHED;
        if (liveProcesses == 0) return State.STOPPED;
        return paused ? State.PAUSED : State.RUNNING;
    }

    /** The last phase the run completed (as recorded in the control table; "merge" from earlier versions reads as "settle"). */
    public String lastCompletedPhase() {
        try {
            return Phase.of(phase).label();
        } catch (IllegalArgumentException notAPhase) {
            return phase;   // "abandoned"
        }
    }

    /** The phase a process is in now, or null when none works on the run (stopped, finished). */
    public String currentPhase() {
        State st = state();
        if (st != State.RUNNING && st != State.PAUSED) return null;
        Phase last;
        try {
            last = Phase.of(phase);
        } catch (IllegalArgumentException notAPhase) {
            return null;
        }
        return switch (last) {
            case CHECK -> Phase.PLAN.label();
            case PLAN -> Phase.LOAD.label();
            case LOAD -> Phase.SETTLE.label();
            case SETTLE -> Phase.BUILD.label();
            case BUILD, CATCH_UP -> online ? Phase.CATCH_UP.label() : Phase.STAMP.label();
            case STAMP -> Phase.STAMP.label();
        };
    }

    /** The load's figures (rate, ETA) describe work going on now: only while a process loads. */
    private boolean loading() { return Phase.LOAD.label().equals(currentPhase()); }

    /** Documents loaded per second since the run started (MB/s). */
    public double megabytesPerSecond() {
        return elapsedSeconds <= 0 ? 0 : documentBytes / 1e6 / elapsedSeconds;
    }

    /** Seconds until the load is done, from the share of planned bytes loaded so far; -1 before it can be trusted. */
    public double loadEtaSeconds() {
        if (!loading() || plannedBytes <= 0 || loadedPlannedBytes <= 0 || loadedPlannedBytes >= plannedBytes) return -1;
        double done = (double) loadedPlannedBytes / plannedBytes;
        return elapsedSeconds * (1 - done) / done;
    }

    /** For people. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        String current = currentPhase();
        b.append(String.format("run %d: %s%s (last phase completed: %s), started %s%s%n", runId, state().label(),
            current == null ? "" : ", now in " + current, lastCompletedPhase(), startedAt, finished ? ", ended " + finishedAt : ""));
        if (state() == State.STOPPED) {
            b.append("no pgbackfill process is working on it: run the same command again (run, or run --online) to resume where it stopped\n");
        }
        b.append("now for timestamp fallbacks: ").append(nowEpoch).append('\n');
        if (toastCompression != null) {
            b.append("TOAST compression of chat_message: ").append(toastCompression)
                .append("lz4".equals(toastCompression) ? "" : " (the server has no lz4)").append('\n');
        }
        if (online) {
            b.append(String.format("online run: %d changed chats waiting for the next catch-up%s%n", pendingChanges,
                finished ? "" : "; after stopping Open WebUI, pgbackfill finish completes it"));
        }
        if (!finished && paused) b.append("PAUSED (pgbackfill resume continues the run)\n");
        if (!finished && holdReason != null) b.append("held: ").append(holdReason).append('\n');
        long total = rangesByState.values().stream().mapToLong(Long::longValue).sum();
        b.append("ranges: ").append(total);
        rangesByState.forEach((state, n) -> b.append(", ").append(n).append(' ').append(state));
        b.append('\n');
        if (plannedBytes > 0 && !finished) {
            double eta = loadEtaSeconds();
            b.append(String.format("load: about %.0f%% of the planned documents loaded%s%s%n", 100.0 * loadedPlannedBytes / plannedBytes,
                loading() ? String.format(", %.1f MB/s", megabytesPerSecond()) : "",
                eta >= 0 ? String.format(", load done in about %.0f s", eta) : ""));
        }
        b.append(String.format("loaded so far: %d chats, %.1f MB of documents, %d rows written to chat_message%n", chatsRead, documentBytes / 1e6, rowsWritten));
        for (Lease l : leases) {
            b.append(String.format("  range %d held by %s until %s (attempt %d)%n", l.rangeId(), l.owner(), l.leaseUntil(), l.attempt()));
        }
        if (rejectionsByReason.isEmpty()) {
            b.append("rejections: none\n");
        } else {
            b.append("rejections:\n");
            rejectionsByReason.forEach((reason, n) -> b.append(String.format("  %-24s %d%n", reason, n)));
        }
        return b.toString();
    }

    /** For machines. */
    public String toJson() {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("run_id", runId);
            g.writeStringField("state", state().label());
            g.writeStringField("current_phase", currentPhase());
            g.writeStringField("last_completed_phase", lastCompletedPhase());
            g.writeNumberField("live_processes", liveProcesses);
            g.writeBooleanField("finished", finished);
            g.writeBooleanField("online", online);
            g.writeBooleanField("paused", paused);
            g.writeStringField("hold_reason", holdReason);
            g.writeNumberField("pending_changes", pendingChanges);
            g.writeStringField("toast_compression", toastCompression);
            g.writeNumberField("now_epoch", nowEpoch);
            g.writeStringField("started_at", startedAt);
            g.writeStringField("finished_at", finishedAt);
            g.writeObjectFieldStart("ranges");
            for (Map.Entry<String, Long> e : rangesByState.entrySet()) g.writeNumberField(e.getKey(), e.getValue());
            g.writeEndObject();
            g.writeNumberField("chats_read", chatsRead);
            g.writeNumberField("rows_written", rowsWritten);
            g.writeNumberField("document_bytes", documentBytes);
            g.writeNumberField("planned_bytes", plannedBytes);
            g.writeNumberField("loaded_planned_bytes", loadedPlannedBytes);
            g.writeNumberField("elapsed_seconds", elapsedSeconds);
            if (loading()) g.writeNumberField("megabytes_per_second", megabytesPerSecond());
            else g.writeNullField("megabytes_per_second");
            if (loadEtaSeconds() >= 0) g.writeNumberField("load_eta_seconds", loadEtaSeconds());
            else g.writeNullField("load_eta_seconds");
            g.writeArrayFieldStart("leases");
            for (Lease l : leases) {
                g.writeStartObject();
                g.writeNumberField("range_id", l.rangeId());
                g.writeStringField("owner", l.owner());
                g.writeStringField("lease_until", l.leaseUntil());
                g.writeNumberField("attempt", l.attempt());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("rejections");
            for (Map.Entry<String, Long> e : rejectionsByReason.entrySet()) g.writeNumberField(e.getKey(), e.getValue());
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }
}
