package org.pgbackfill.verify;

import org.pgbackfill.extract.MessageRow;

/**
 * When a stored {@code created_at}/{@code updated_at} matches the message's timestamp.
 *
 * <p>A timestamp that is missing, unreadable, before 2020 or more than a day after "now" is stored
 * as the run's fixed "now" (SPEC.md section 3), so those rows depend on which run wrote them. When
 * that "now" is known (given, or the last finished run in the tool's schema), both
 * columns must equal exactly what the extractor computes with it. When it is not (a table written
 * by Open WebUI's own migration), a stored value {@code S} that differs from the value computed
 * with the check's own "now" is a candidate when both columns hold it and it is a plausible run
 * time (from 2020-01-01 to a day after this check started); {@link ChatComparison} then accepts it
 * if extracting the chat again with {@code now = S} gives {@code S}: the timestamp fell back to the
 * "now" of a run at {@code S}.
 */
final class CreatedAtRule {
    /** 2020-01-01T00:00:00Z: no run, and no kept timestamp, is earlier (SPEC.md section 3). */
    static final long EARLIEST = 1_577_836_800L;

    private final Long now;
    private final long latest;
    private final String source;

    private CreatedAtRule(Long now, long latest, String source) {
        this.now = now;
        this.latest = latest;
        this.source = source;
    }

    /** The run's "now" is known; {@code source} says from where, for the report. */
    static CreatedAtRule known(long now, String source) {
        return new CreatedAtRule(now, now, source);
    }

    /** The run's "now" is unknown; this check started at {@code checkStart} (epoch seconds). */
    static CreatedAtRule unknown(long checkStart) {
        return new CreatedAtRule(null, checkStart + 86_400,
            "unknown: a timestamp that fell back to the run's now may hold any time from 2020-01-01 to now");
    }

    /** The "now" to extract with: the run's, or when unknown the check's start. */
    long extractorNow() { return now != null ? now : latest - 86_400; }

    String describe() { return now != null ? now + " (" + source + ")" : source; }

    /** Both columns hold what the extractor computed. */
    boolean matches(MessageRow expected, Long createdAt, Long updatedAt) {
        return createdAt != null && createdAt.equals(updatedAt) && createdAt == expected.createdAt;
    }

    /** With "now" unknown: both columns hold one plausible run time, so the row must be extracted again with it as "now". */
    boolean isCandidateNow(Long createdAt, Long updatedAt) {
        return now == null && createdAt != null && createdAt.equals(updatedAt) && createdAt >= EARLIEST && createdAt <= latest;
    }

    /** What was expected, for a mismatch report. */
    String expected(MessageRow expected) {
        if (now != null) return Long.toString(expected.createdAt);
        return expected.createdAt + " (with now = this check's start; or, where the timestamp falls back to now, the run's start)";
    }
}
