package org.pgbackfill.engine;

import org.pgbackfill.NextStep;
import org.pgbackfill.phase.Phase;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

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
        return RunStatusQuery.read(c, schema);
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
        return RunStatusJson.of(this);
    }
}
