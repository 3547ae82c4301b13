package org.pgbackfill.engine;

import org.pgbackfill.NextStep;
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
                        int liveProcesses, Reading reading, String job) {

    /**
     * The ranges being read now, as their processes record it every few seconds: how many, the planned units and
     * document bytes the loading ranges have read so far, and the mean rate of one range (loading, or loaded in the
     * last minute, having read for a second or more; in planned units and document bytes per second; 0 when none has
     * yet). Empty for control tables made by versions that recorded no progress.
     */
    public record Reading(long ranges, long plannedUnitsRead, long documentBytesRead, double unitsPerRangeSecond,
                          double bytesPerRangeSecond) {
        static final Reading NONE = new Reading(0, 0, 0, 0, 0);
    }

    /**
     * What the run is doing now, for people and machines: one of these words. READY: an online run whose chat_message is
     * built (and caught up when its last process ended), no process working on it: it waits for the cut-over
     * ({@link NextStep#FINISH}) or another catch-up ({@link NextStep#CATCH_UP}); nothing went wrong.
     */
    public enum State { RUNNING, PAUSED, STOPPED, READY, FINISHED, ABANDONED;
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
        Reading reading = Reading.NONE;
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
                reading = new Reading(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getDouble(4), rs.getDouble(5));
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
        List<Lease> leases = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT range_id, owner, lease_until::text, attempt FROM " + schema + ".range WHERE run_id = "
                 + runId + " AND state = 'loading' ORDER BY range_id")) {
            while (rs.next()) leases.add(new Lease(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getInt(4)));
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

    /** What the loaded ranges wrote, as {@link #describe} says it. */
    private String written() {
        return "current_message_id".equals(job) ? rowsWritten + " values staged for chat.current_message_id"
            : rowsWritten + " rows written to chat_message";
    }

    public State state() {
        if (finished) return "abandoned".equals(phase) ? State.ABANDONED : State.FINISHED;
        if (liveProcesses == 0) return online && built() ? State.READY : State.STOPPED;
        return paused ? State.PAUSED : State.RUNNING;
    }

    /** Whether the run completed its build (chat_message has its indexes and foreign key). */
    private boolean built() {
        try {
            return Phase.of(phase).ordinal() >= Phase.BUILD.ordinal();
        } catch (IllegalArgumentException notAPhase) {
            return false;
        }
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

    /** The load's figures (rate, ETA) describe work going on now: only while a process loads, not paused. */
    private boolean loading() { return state() == State.RUNNING && Phase.LOAD.label().equals(currentPhase()); }

    /** Whether a process works on the run now (what its ranges being read have read counts only then: otherwise it is redone). */
    private boolean live() { return state() == State.RUNNING || state() == State.PAUSED; }

    /** The planned units done: the loaded ranges', and, while a process works on the run, what its ranges being read have read. */
    public long plannedUnitsDone() {
        return Math.min(plannedBytes, loadedPlannedBytes + (live() ? reading.plannedUnitsRead() : 0));
    }

    /**
     * Documents read per second now (MB/s), over every process, from the ranges being read: the mean rate of one range
     * times the ranges being read; -1 when not loading, or before any range has read for a second.
     */
    public double megabytesPerSecond() {
        if (!loading() || reading.bytesPerRangeSecond() <= 0 || reading.ranges() == 0) return -1;
        return reading.bytesPerRangeSecond() * reading.ranges() / 1e6;
    }

    /**
     * Seconds until the load is done, from what is left of the planned units and the rate at which the ranges being
     * read get through them; -1 when not loading or not measured yet.
     */
    public double loadEtaSeconds() {
        if (!loading() || plannedBytes <= 0 || reading.unitsPerRangeSecond() <= 0 || reading.ranges() == 0) return -1;
        return Math.max(0, plannedBytes - plannedUnitsDone()) / (reading.unitsPerRangeSecond() * reading.ranges());
    }

    /**
     * What the operator can do now, the likeliest first: resume a stopped run, lift a pause; for an unfinished online run,
     * catch it up again (when ready) and finish it. Empty for a finished run, and for one that is running unpaused.
     */
    public List<NextStep> nextSteps() {
        java.util.Set<NextStep> next = new java.util.LinkedHashSet<>();
        if (state() == State.READY) next.add(NextStep.CATCH_UP);
        if (state() == State.STOPPED) next.add(NextStep.RESUME);
        if (paused && !finished) next.add(NextStep.UNPAUSE);
        if (online && !finished) next.add(NextStep.FINISH);
        return List.copyOf(next);
    }

    /** For people, in core's words: what the run is doing; {@link #nextSteps()} says what to do about it. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        String current = currentPhase();
        b.append(String.format("run %d: %s%s (last phase completed: %s), started %s%s%n", runId, state().label(),
            current == null ? "" : ", now in " + current, lastCompletedPhase(), startedAt, finished ? ", ended " + finishedAt : ""));
        if (state() == State.READY) {
            b.append("online run built, no process working on it (nothing is wrong): Open WebUI can keep serving\n");
        }
        if (state() == State.STOPPED) b.append("no pgbackfill process is working on it\n");
        b.append("now for timestamp fallbacks: ").append(nowEpoch).append('\n');
        if (toastCompression != null) {
            b.append("TOAST compression of chat_message: ").append(toastCompression)
                .append("lz4".equals(toastCompression) ? "" : " (the server has no lz4)").append('\n');
        }
        if (online) {
            b.append(String.format("online run: %d changed chats waiting for the next catch-up%n", pendingChanges));
        }
        if (!finished && paused) b.append("PAUSED\n");
        if (!finished && holdReason != null) b.append("held: ").append(holdReason).append('\n');
        long total = rangesByState.values().stream().mapToLong(Long::longValue).sum();
        b.append("ranges: ").append(total);
        rangesByState.forEach((state, n) -> b.append(", ").append(n).append(' ').append(state));
        b.append('\n');
        if (plannedBytes > 0 && !finished) {
            double eta = loadEtaSeconds(), rate = megabytesPerSecond();
            b.append(String.format(java.util.Locale.ROOT, "load: about %.0f%% of the planned documents read%s%s%n",
                100.0 * plannedUnitsDone() / plannedBytes,
                rate >= 0 ? String.format(java.util.Locale.ROOT, ", %.1f MB/s now", rate) : loading() ? ", rate: measuring" : "",
                eta >= 0 ? ", load done in about " + seconds(eta) : ""));
        }
        b.append(String.format(java.util.Locale.ROOT, "loaded ranges: %d chats, %.1f MB of documents, %s%s%n",
            chatsRead, documentBytes / 1e6, written(),
            live() && reading.documentBytesRead() > 0 ? String.format(java.util.Locale.ROOT, " (and %.1f MB read by the ranges loading now)",
                reading.documentBytesRead() / 1e6) : ""));
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

    /** 42 s, 3 min 05 s, 2 h 07 min: as the progress line writes durations. */
    static String seconds(double s) {
        long t = Math.round(s);
        if (t < 120) return t + " s";
        if (t < 3600) return String.format(java.util.Locale.ROOT, "%d min %02d s", t / 60, t % 60);
        return String.format(java.util.Locale.ROOT, "%d h %02d min", t / 3600, (t % 3600) / 60);
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
            g.writeArrayFieldStart("next_steps");
            for (NextStep s : nextSteps()) g.writeString(s.name().toLowerCase(java.util.Locale.ROOT));
            g.writeEndArray();
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
            g.writeStringField("job", job);   // current_message_id: rows_written counts the values its loaded ranges staged
            g.writeNumberField("document_bytes", documentBytes);
            g.writeNumberField("planned_bytes", plannedBytes);
            g.writeNumberField("loaded_planned_bytes", loadedPlannedBytes);
            g.writeNumberField("elapsed_seconds", elapsedSeconds);
            g.writeNumberField("ranges_reading", reading.ranges());
            g.writeNumberField("reading_planned_bytes", reading.plannedUnitsRead());
            g.writeNumberField("reading_document_bytes", reading.documentBytesRead());
            if (megabytesPerSecond() >= 0) g.writeNumberField("megabytes_per_second", megabytesPerSecond());
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
