package org.pgbackfill.job.currentmessage;

import org.pgbackfill.control.Backoff;
import org.pgbackfill.job.JobRun;
import org.pgbackfill.load.LoadPhase;
import org.pgbackfill.metrics.RunMetrics;
import org.pgbackfill.source.ChatRangeReader;
import org.pgbackfill.state.ControlTables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The load of the current_message_id job: reader threads claim ranges from the coordinator and
 * compute each with {@link RangeWork}, on two connections each (the documents' stream, and the
 * batches' row lookups and writes). No ring and no separate writers: what a range writes is one
 * short row per changed chat, written by its reader in small fenced transactions. The readers are
 * as many as the workers, within the run's connection budget (two connections each).
 */
final class CurrentMessageLoad {
    private static final Logger log = LoggerFactory.getLogger(CurrentMessageLoad.class);
    static final int MAX_ATTEMPTS = 5;

    private final JobRun run;
    private final RangeWork work;

    CurrentMessageLoad(JobRun run, RangeWork work) {
        this.run = run;
        this.work = work;
    }

    /** Readers, two connections each, within what the pool allows a load (readers + writers + 8, a few for the engine). */
    static int readers(int workers, int writers) {
        return Math.max(1, Math.min(workers, (workers + writers + 3) / 2));
    }

    LoadPhase.Result run(LoadPhase.Coordinator coordinator, LoadPhase.Progress progress) throws Exception {
        AtomicLong chats = new AtomicLong(), docBytes = new AtomicLong(), staged = new AtomicLong();
        ChatRangeReader.Counters read = new ChatRangeReader.Counters();
        run.metrics().loadCounters(new RunMetrics.LoadCounts() {
            @Override public double chats() { return read.chats().get(); }
            @Override public double documentBytes() { return read.documentBytes().get(); }
            @Override public double rowsWritten() { return staged.get(); }
        });
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        int n = readers(run.load().workers(), run.load().writers());
        for (int w = 0; w < n; w++) {
            Thread t = new Thread(() -> {
                Connection a = null, b = null;
                try {
                    ControlTables.Claim claim;
                    while (failure.get() == null && !coordinator.stopping() && admit() && (claim = coordinator.claim()) != null) {
                        ChatRangeReader.Counters rangeRead = new ChatRangeReader.Counters();
                        coordinator.reading(claim, () -> rangeRead.plannedBytes().get(), () -> rangeRead.documentBytes().get());
                        RangeWork.Result r;
                        try {
                            if (a == null) a = run.db().connection();
                            if (b == null) b = run.db().connection();
                            if (claim.attempt() > 1) work.clear(b, claim, false);
                            r = work.run(a, b, claim, read, rangeRead, () -> coordinator.stopping() || failure.get() != null);
                            coordinator.doneReading(claim);
                        } catch (Exception e) {
                            coordinator.doneReading(claim);
                            if (a != null) run.db().evict(a);
                            if (b != null) run.db().evict(b);
                            a = null;
                            b = null;
                            if (coordinator.stopping() || failure.get() != null) break;
                            int attempts = coordinator.failed(claim, e);
                            run.metrics().retried("range");
                            if (attempts >= MAX_ATTEMPTS) throw new LoadPhase.LoadException(claim.range(), attempts, e);
                            log.warn("{} failed (attempt {} of {}), will retry: {}", claim.range(), attempts, MAX_ATTEMPTS, e.toString());
                            Backoff.RANGE.sleep(attempts);
                            continue;
                        }
                        coordinator.loaded(claim, r.chats(), r.staged(), r.documentBytes());
                        if (r.rejected() > 0) run.metrics().rejected("chat", r.rejected());
                        chats.addAndGet(r.chats());
                        docBytes.addAndGet(r.documentBytes());
                        staged.addAndGet(r.staged());
                        run.metrics().workerRead(Thread.currentThread().getName(), r.documentBytes());
                        progress.update(read.documentBytes().get(), read.plannedBytes().get(), staged.get());
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    for (Connection c : new Connection[] {a, b}) {
                        if (c != null) {
                            try { c.close(); } catch (SQLException ignored) { }
                        }
                    }
                }
            }, "pgbackfill-current-message-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        while (threads.stream().anyMatch(Thread::isAlive)) {
            for (Thread t : threads) t.join(1000);
            progress.update(read.documentBytes().get(), read.plannedBytes().get(), staged.get());
        }
        Throwable f = failure.get();
        if (f != null) {
            if (f instanceof Exception e) throw e;
            throw new RuntimeException(f);
        }
        return new LoadPhase.Result(chats.get(), docBytes.get(), staged.get());
    }

    /** Waits while the run is held (paused, the server under pressure) before taking another range. */
    private boolean admit() throws InterruptedException {
        run.throttle().admit(0);
        return true;
    }
}
