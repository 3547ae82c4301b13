package org.pgbackfill.extract;

/**
 * SPEC.md section 3's timestamp normalisation: Python's {@code int(float(ts))}, milliseconds to
 * seconds, then anything before 2020-01-01 or more than a day after {@code now} becomes {@code now}.
 */
final class TimestampRule {
    static final long EARLIEST = 1_577_836_800L;       // 2020-01-01T00:00:00Z
    static final long MILLIS_THRESHOLD = 10_000_000_000L;

    private final long now;

    TimestampRule(long now) { this.now = now; }

    long now() { return now; }

    /** {@code value} is the timestamp as a double (NaN when Python's int(float()) would raise). */
    long normalise(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) return now;
        // int(float(x)) truncates toward zero; anything beyond long range ends up as "now" below.
        if (value >= 9.0e18 || value <= -9.0e18) return now;
        long ts = (long) value;
        if (ts > MILLIS_THRESHOLD) ts = Math.floorDiv(ts, 1000);
        if (ts < EARLIEST || ts > now + 86_400) return now;
        return ts;
    }
}
