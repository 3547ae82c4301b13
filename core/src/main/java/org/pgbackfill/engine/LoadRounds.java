package org.pgbackfill.engine;

import org.pgbackfill.concurrent.Threads;
import org.pgbackfill.BackfillException;
import org.pgbackfill.control.Backoff;
import org.pgbackfill.db.Database;
import org.pgbackfill.db.DatabaseFailure;
import org.pgbackfill.job.Job;
import org.pgbackfill.job.JobRun;
import org.pgbackfill.load.LoadPhase;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.state.ControlTables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The load, as every process runs it: rounds of the job's {@link Job#loadRound} claim ranges
 * until every range is loaded, by this process or others (a range claimed again first loses the
 * rows its earlier attempts committed); a failed round gives its ranges back and is retried with
 * {@link Backoff#ROUND}. The process's leases are renewed in the background meanwhile.
 */
final class LoadRounds {
    private static final Logger log = LoggerFactory.getLogger(LoadRounds.class);
    /** How long a claim on a range lasts unless renewed (renewed every quarter of it). */
    static final int LEASE_SECONDS = 60;
    /** How often the load records how far its readers have read (for status on other machines). */
    static final int PROGRESS_SECONDS = 2;
    /** Consecutive load rounds that may fail (a writer's connection lost, the server restarting) before the run gives up. */
    static final int MAX_LOAD_ROUNDS = 6;

    private final Job job;
    private final JobRun run;
    private final String owner;

    LoadRounds(Job job, JobRun run, String owner) {
        this.job = job;
        this.run = run;
        this.owner = owner;
    }

    private ControlTables control() { return run.control(); }

    private Database db() { return run.db(); }

    LoadPhase.Result load(long plannedBytes) throws Exception {
        long chats = 0, bytes = 0, rows = 0;
        int failedRounds = 0;
        Exception lastFailure = null;
        ScheduledExecutorService heartbeat = Threads.scheduler("pgbackfill-lease");
        heartbeat.scheduleAtFixedRate(() -> {
            try (Connection c = db().connection()) {
                control().leases().renewLeases(c, run.runId(), owner, LEASE_SECONDS);
            } catch (SQLException e) {
                log.warn("could not renew this process's range leases: {}", e.getMessage());
            }
        }, LEASE_SECONDS / 4, LEASE_SECONDS / 4, TimeUnit.SECONDS);
        // how far each range being read has got, recorded every few seconds: status on any machine shows a rate and an ETA
        // from the first seconds of the load, not only once a range is loaded
        // (its own thread: a record waiting on a writer's commit or on the pool never delays the lease renewals)
        Map<ControlTables.Claim, ReadingRange> reading = new ConcurrentHashMap<>();
        ScheduledExecutorService recorder = Threads.scheduler("pgbackfill-load-progress");
        recorder.scheduleWithFixedDelay(() -> {
            List<ControlTables.ReadProgress> sofar = new ArrayList<>();
            reading.forEach((claim, r) -> sofar.add(r.progress(claim)));
            if (sofar.isEmpty()) return;
            try (Connection c = db().connection()) {
                control().leases().recordProgress(c, run.runId(), owner, sofar);
                for (ControlTables.ReadProgress p : sofar) if (p.done()) reading.remove(p.claim());   // its last record is in
            } catch (SQLException | RuntimeException e) {   // a task that throws is never run again: keep it running
                log.debug("could not record the load's progress (status shows it later): {}", e.getMessage());
            }
        }, PROGRESS_SECONDS, PROGRESS_SECONDS, TimeUnit.SECONDS);
        LeaseCoordinator coordinator = new LeaseCoordinator(reading);
        try {
            while (true) {
                run.stop().check(Phase.LOAD);
                try (Connection c = db().connection()) {
                    // between rounds this process holds no claim: what a failed round left leased under its name (its release
                    // may not have reached a server that was down) is given back, or the heartbeat would renew it for ever
                    control().leases().releaseAll(c, run.runId(), owner);
                    Map<String, Long> states = control().rangeStates(c, run.runId());
                    if (states.getOrDefault("pending", 0L) + states.getOrDefault("loading", 0L) == 0) break;
                } catch (SQLException e) {
                    if (++failedRounds > MAX_LOAD_ROUNDS) throw e;
                    lastFailure = e;
                    backoff(failedRounds, e);
                    continue;
                }
                try {
                    LoadPhase.Result r = job.loadRound(run, coordinator, (b, units, written) -> run.progress().loadProgress(b,
                        plannedBytes <= 0 ? 0 : Math.min(0.99, (double) units / plannedBytes), written));
                    chats += r.chats();
                    bytes += r.documentBytes();
                    rows += r.rowsWritten();
                    if (r.rowsWritten() > 0 || r.chats() > 0) failedRounds = 0;
                } catch (LoadPhase.LoadException e) {
                    throw e;   // one range failed again and again: its message names it
                } catch (Exception e) {
                    run.stop().check(Phase.LOAD);
                    if (++failedRounds > MAX_LOAD_ROUNDS) throw e;
                    lastFailure = e;
                    run.metrics().retried("load round");
                    backoff(failedRounds, e);
                    releaseAllQuietly();
                    continue;
                } finally {
                    reading.clear();
                }
                run.stop().check(Phase.LOAD);
                awaitRanges("loaded", "pending");   // others' ranges; returns early if one becomes claimable
            }
        } finally {
            recorder.shutdownNow();
            heartbeat.shutdownNow();
            if (coordinator.stopping()) releaseAllQuietly();   // what this process holds is given back at once, for the next run
        }
        if (lastFailure != null) log.info("load recovered after: {}", lastFailure.getMessage());
        return new LoadPhase.Result(chats, bytes, rows);
    }

    private void releaseAllQuietly() {
        try (Connection c = db().connection()) {
            control().leases().releaseAll(c, run.runId(), owner);
        } catch (SQLException ignored) {
            // the leases expire by themselves
        }
    }

    /** A range one of this process's readers reads: how far it has got, since when, and when it ended. */
    private static final class ReadingRange {
        private final LongSupplier units, bytes;
        private final long startNanos;
        private volatile long endNanos;

        ReadingRange(LongSupplier units, LongSupplier bytes, long startNanos) {
            this.units = units;
            this.bytes = bytes;
            this.startNanos = startNanos;
        }

        void end() { endNanos = System.nanoTime(); }

        ControlTables.ReadProgress progress(ControlTables.Claim claim) {
            long end = endNanos;
            boolean done = end != 0;
            return new ControlTables.ReadProgress(claim, units.getAsLong(), bytes.getAsLong(),
                ((done ? end : System.nanoTime()) - startNanos) / 1e9, done);
        }
    }

    /** Claims made by this process to load ranges, through the control tables' leases. */
    private final class LeaseCoordinator implements LoadPhase.Coordinator {
        private final Map<ControlTables.Claim, ReadingRange> reading;

        LeaseCoordinator(Map<ControlTables.Claim, ReadingRange> reading) { this.reading = reading; }

        @Override public void reading(ControlTables.Claim claim, LongSupplier units, LongSupplier bytes) {
            reading.put(claim, new ReadingRange(units, bytes, System.nanoTime()));
        }

        // the last record is the recorder's (a reader must not wait here: a writer's fence may hold the range's row)
        @Override public void doneReading(ControlTables.Claim claim) {
            ReadingRange r = reading.get(claim);
            if (r != null) r.end();
        }

        @Override public ControlTables.Claim claim() throws SQLException {
            try (Connection c = db().connection()) {
                return control().leases().claimRange(c, run.runId(), owner, LEASE_SECONDS);
            }
        }

        @Override public void loaded(ControlTables.Claim claim, long chats, long rows, long bytes) throws SQLException {
            try (Connection c = db().connection()) {
                if (!control().leases().rangeLoaded(c, run.runId(), claim, owner, chats, rows, bytes)) {
                    log.warn("{} was loaded, but its lease had passed to another process; that one's load counts", claim.range());
                }
            }
        }

        @Override public int failed(ControlTables.Claim claim, Exception cause) throws SQLException {
            try (Connection c = db().connection()) {
                return control().leases().releaseRange(c, run.runId(), claim, owner, String.valueOf(cause));
            }
        }

        @Override public boolean stopping() {
            try {
                run.stop().check(Phase.LOAD);
                return false;
            } catch (BackfillException e) {
                return true;
            }
        }
    }

    /** Waits while some range is not yet in {@code state} (another process holds it); returns early when one is in {@code unless}. */
    void awaitRanges(String state, String unless) throws Exception {
        while (true) {
            run.stop().check(Phase.LOAD);
            try (Connection c = db().connection();
                 Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE state NOT IN ('" + state + "', 'merged')), "
                     + "count(*) FILTER (WHERE state = '" + unless + "' OR (state = 'loading' AND " + ControlTables.LEASE_LAPSED + ")) FROM "
                     + control().schema() + ".range WHERE run_id = " + run.runId())) {
                rs.next();
                if (rs.getLong(1) == 0 || (unless != null && rs.getLong(2) > 0)) return;
            }
            Thread.sleep(500);
        }
    }

    private void backoff(int round, Exception e) throws InterruptedException {
        long millis = Backoff.ROUND.millis(round);
        run.progress().info("load interrupted (" + DatabaseFailure.rootMessage(e) + "); retrying in " + millis / 1000.0 + " s (" + round
            + " of " + MAX_LOAD_ROUNDS + ")");
        Thread.sleep(millis);
    }
}
