package org.pgbackfill.source;

import java.io.InterruptedIOException;

/**
 * What a reader asks after each document it reads: may it go on? The run's throttle answers
 * (a rate limit, a hold); a reader that needs no pacing passes {@link #OPEN}.
 */
@FunctionalInterface
public interface ReadGate {
    /** Waits until {@code bytes} more may be read; an interruption ends the read. */
    void admitRead(long bytes) throws InterruptedIOException;

    ReadGate OPEN = bytes -> { };
}
