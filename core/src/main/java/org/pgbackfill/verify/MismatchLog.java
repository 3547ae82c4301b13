package org.pgbackfill.verify;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Collects mismatches from all workers: every one is counted by kind, the first {@code capacity}
 * are kept with their details. A badly broken table can hold millions of differences; the report
 * must stay readable and the memory bounded.
 */
final class MismatchLog {
    private final int capacity;
    private final AtomicLongArray counts = new AtomicLongArray(Mismatch.Kind.values().length);
    private final List<Mismatch> kept = new ArrayList<>();

    MismatchLog(int capacity) { this.capacity = capacity; }

    /** Whether a further mismatch would still be kept (so its details are worth computing). */
    synchronized boolean full() { return kept.size() >= capacity; }

    void add(Mismatch m) {
        counts.incrementAndGet(m.kind().ordinal());
        synchronized (this) {
            if (kept.size() < capacity) kept.add(m);
        }
    }

    /** Counts one without details (they were not computed because the log is full). */
    void count(Mismatch.Kind kind) {
        counts.incrementAndGet(kind.ordinal());
    }

    synchronized List<Mismatch> kept() { return List.copyOf(kept); }

    Map<Mismatch.Kind, Long> counts() {
        Map<Mismatch.Kind, Long> m = new EnumMap<>(Mismatch.Kind.class);
        for (Mismatch.Kind k : Mismatch.Kind.values()) {
            long n = counts.get(k.ordinal());
            if (n > 0) m.put(k, n);
        }
        return m;
    }
}
