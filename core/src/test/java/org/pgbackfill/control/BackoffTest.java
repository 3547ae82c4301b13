package org.pgbackfill.control;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BackoffTest {
    @Test
    void aLockIsTriedAgainAfterAWaitGrowingBy200MillisUpToFiveSeconds() {
        assertEquals(200, Backoff.LOCK.millis(1));
        assertEquals(600, Backoff.LOCK.millis(3));
        assertEquals(5_000, Backoff.LOCK.millis(40));
    }

    @Test
    void aFailedRangeWaitsTwiceAsLongEachTimeUpToItsCap() {
        assertEquals(1_000, Backoff.RANGE.millis(1));
        assertEquals(2_000, Backoff.RANGE.millis(2));
        assertEquals(8_000, Backoff.RANGE.millis(4));
        assertEquals(10_000, Backoff.RANGE.millis(5));
        assertEquals(15_000, Backoff.ROUND.millis(6));
        assertEquals(15_000, Backoff.ROUND.millis(Integer.MAX_VALUE), "no overflow however many attempts");
    }

    @Test
    void attemptZeroCountsAsTheFirst() {
        assertEquals(Backoff.CONFLICT.millis(1), Backoff.CONFLICT.millis(0));
    }
}
