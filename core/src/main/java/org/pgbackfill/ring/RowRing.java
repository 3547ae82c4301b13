package org.pgbackfill.ring;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.TimeoutBlockingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import org.pgbackfill.concurrent.Threads;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.state.Rejection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The LMAX Disruptor ring between the readers and the COPY writers, with its back-pressure.
 *
 * <p>The ring counts slots, not bytes, so a few huge messages could still fill the heap: a
 * reader first takes permits (1 KiB each) for an event's weight from a budget of
 * {@code writers × maxTransactionBytes + 64 MB}, and the writer gives them back once the event's
 * transaction has ended. Readers publish from several threads ({@link ProducerType#MULTI}); each
 * writer takes the sequences {@code sequence % writers == index}. A writer's failure, or the run
 * stopping, ends every wait here, so that a poison row never stalls the readers.
 */
public final class RowRing {
    private static final Logger log = LoggerFactory.getLogger(RowRing.class);
    /** Slots in the ring. */
    public static final int SIZE = 1 << 13;

    private final Semaphore budget;
    private final int maxPermits;
    private final BooleanSupplier stopping;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<Thread> writerThreads = new CopyOnWriteArrayList<>();
    private final Disruptor<RowEvent> disruptor;
    private RingBuffer<RowEvent> ring;

    public RowRing(int writers, long maxTransactionBytes, BooleanSupplier stopping) {
        long budgetBytes = writers * maxTransactionBytes + (64L << 20);
        this.maxPermits = (int) Math.min(Integer.MAX_VALUE, budgetBytes / 1024);
        this.budget = new Semaphore(maxPermits);
        this.stopping = stopping;
        this.disruptor = new Disruptor<>(RowEvent::new, SIZE, runnable -> {
            Thread t = Threads.named("pgbackfill-writer").newThread(runnable);
            writerThreads.add(t);
            return t;
        }, ProducerType.MULTI, new TimeoutBlockingWaitStrategy(200, TimeUnit.MILLISECONDS));
    }

    /** The permits a writer gives back when an event's transaction ends: {@link #permitsFor} its weight. */
    public Semaphore budget() { return budget; }

    /** Permits an event of {@code weight} bytes takes from the budget. */
    public static int permitsFor(int weight) { return 1 + weight / 1024; }

    /** Starts the writers: one handler each, every handler seeing every event. */
    @SafeVarargs
    public final void start(EventHandler<RowEvent>... writers) {
        disruptor.handleEventsWith(writers);
        disruptor.setDefaultExceptionHandler(new ExceptionHandler<>() {
            @Override public void handleEventException(Throwable ex, long sequence, RowEvent event) { failure.compareAndSet(null, ex); }
            @Override public void handleOnStartException(Throwable ex) { failure.compareAndSet(null, ex); }
            @Override public void handleOnShutdownException(Throwable ex) { log.debug("writer shutdown", ex); }
        });
        ring = disruptor.start();
    }

    /** The first failure of a writer or a reader, or null. */
    public Throwable failure() { return failure.get(); }

    /** Records a reader's failure: every wait on the ring ends. */
    public void fail(Throwable e) { failure.compareAndSet(null, e); }

    /** Events published and not yet handled by every writer. */
    public long occupancy() { return ring.getBufferSize() - ring.remainingCapacity(); }

    /** Publishes one event within the budget; gives up if a writer has failed or the run is stopping. */
    public void publish(RowEvent.Kind kind, ControlTables.Claim claim, MessageRow row, Rejection rejection, int weight)
            throws InterruptedException {
        if (stopping.getAsBoolean()) throw new InterruptedException("stopping");
        int permits = Math.min(permitsFor(weight), maxPermits);
        while (!budget.tryAcquire(permits, 200, TimeUnit.MILLISECONDS)) checkFailure();
        long seq = claim(1);
        RowEvent e = ring.get(seq);
        e.kind = kind;
        e.claim = claim;
        e.row = row;
        e.rejection = rejection;
        // the writer releases permitsFor(weight) capped the same way
        e.weight = Math.min(weight, (maxPermits - 1) * 1024);
        ring.publish(seq);
    }

    /**
     * Asks every writer to commit what it holds and waits until all have, or until a failure or
     * a stop; returns whether all did.
     */
    public boolean flush(int writers) throws InterruptedException {
        CountDownLatch flushed = new CountDownLatch(writers);
        long hi = claim(writers);
        for (long s = hi - writers + 1; s <= hi; s++) {
            RowEvent e = ring.get(s);
            e.kind = RowEvent.Kind.FLUSH;
            e.flushed = flushed;
            e.weight = 0;
        }
        ring.publish(hi - writers + 1, hi);
        while (!flushed.await(200, TimeUnit.MILLISECONDS)) {
            if (failure.get() != null || stopping.getAsBoolean()) return false;
        }
        return true;
    }

    /** Waits until every writer has handled everything published so far (the benchmark's end of a round). */
    public void awaitConsumed() throws InterruptedException {
        long published = ring.getCursor();
        while (ring.getMinimumGatingSequence() < published) {
            checkFailure();
            LockSupport.parkNanos(20_000);
        }
    }

    /**
     * Stops the writers and waits for their threads to end (a commit under way finishes, then each
     * closes its connection in onShutdown): only then may ranges be given back, or a writer's
     * transaction could still hold its fence.
     */
    public void halt(long joinMillis) throws InterruptedException {
        disruptor.halt();
        for (Thread t : writerThreads) t.join(joinMillis);
    }

    private long claim(int n) throws InterruptedException {
        while (true) {
            try {
                return ring.tryNext(n);
            } catch (InsufficientCapacityException full) {
                checkFailure();
                LockSupport.parkNanos(50_000);
            }
        }
    }

    private void checkFailure() throws InterruptedException {
        if (failure.get() != null) throw new InterruptedException("a writer failed");
        if (stopping.getAsBoolean()) throw new InterruptedException("stopping");
        if (Thread.interrupted()) throw new InterruptedException();
    }
}
