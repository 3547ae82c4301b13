package org.pgbackfill.control;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The throttle's rules, each checked by what it forbids: reading faster than the limit (a lower
 * bound on elapsed time, which a slow machine cannot break), sharing the limit between readers,
 * passing while held (also when the hold begins during a reader's wait for its turn), and holding
 * up a run that is stopping.
 */
class ThrottleTest {
    @Test
    void bytesReadNeverOutrunTheLimitSharedByAllReaders() throws Exception {
        Throttle t = new Throttle(1_000_000, () -> false);   // 1 MB/s
        long t0 = System.nanoTime();
        CompletableFuture<?>[] readers = new CompletableFuture<?>[2];
        for (int r = 0; r < readers.length; r++) {
            readers[r] = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 5; i++) t.admit(50_000);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        CompletableFuture.allOf(readers).get(30, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds >= 0.49, "500 kB at 1 MB/s over two readers took " + seconds + " s: the limit is shared, not per reader");
        assertEquals(1_000_000, t.maxBytesPerSecond(), 1e-6);
    }

    @Test
    void noLimitMeansNoWait() throws Exception {
        Throttle t = new Throttle(0, () -> false);
        for (int i = 0; i < 1000; i++) t.admit(1 << 30);   // would take 1000 s at any finite rate worth having
        assertEquals(0, t.maxBytesPerSecond());
    }

    /** A real standby's lag came while the readers of a slow run (1 MB/s) waited for their turn: each then read one more document. */
    @Test
    void aHoldThatBeginsWhileAReaderWaitsForItsTurnHoldsItToo() throws Exception {
        Throttle t = new Throttle(1_000_000, () -> false);
        long t0 = System.nanoTime();
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            try {
                t.admit(1_000_000);   // its turn for the next document comes after 1 s
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        t.hold("replication lag");
        Thread.sleep(1_700);
        assertFalse(reader.isDone(), "the reader's turn came during the hold: it waits for the hold to end");
        t.hold(null);
        reader.get(10, TimeUnit.SECONDS);
        assertTrue((System.nanoTime() - t0) / 1e9 >= 1.99, "held until released");
    }

    @Test
    void aHeldRunWaitsUntilReleasedAndAStoppingOneDoesNot() throws Exception {
        AtomicBoolean stopping = new AtomicBoolean();
        Throttle t = new Throttle(0, stopping::get);
        t.hold("paused");
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            try {
                t.admit(100);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(400);
        assertFalse(reader.isDone(), "a held run reads nothing");
        assertEquals("paused", t.holdReason());
        t.hold(null);
        reader.get(10, TimeUnit.SECONDS);

        t.hold("replication lag");
        CompletableFuture<Void> second = CompletableFuture.runAsync(() -> {
            try {
                t.admit(100);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertFalse(second.isDone());
        stopping.set(true);
        second.get(10, TimeUnit.SECONDS);   // a stop is never held up by a hold
    }
}
