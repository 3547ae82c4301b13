package org.pgbackfill.copy;

import java.sql.SQLException;

/**
 * A batch the server refused for its data, written again in halves until what it refuses stands
 * alone: one bad row or value never fails the rest. How a part is written (a transaction of its
 * own, or a savepoint in the caller's) and which failures are not the data's are the caller's.
 */
public final class Halving {
    /** Writes items {@code [from, to)} of the batch. */
    @FunctionalInterface
    public interface Attempt {
        /**
         * Writes the items for good and returns null; or, if the server refused them for their data,
         * undoes what it wrote and returns the refusal. Any other failure is thrown.
         */
        SQLException write(int from, int to) throws SQLException;
    }

    /** What to do with an item the server refused on its own. */
    @FunctionalInterface
    public interface Refused {
        void refused(int item, SQLException why) throws SQLException;
    }

    private Halving() { }

    /** Writes items {@code [from, to)} with {@code attempt}, halving what is refused; each item refused alone goes to {@code refused}. */
    public static void isolate(int from, int to, Attempt attempt, Refused refused) throws SQLException {
        if (from == to) return;
        SQLException e = attempt.write(from, to);
        if (e == null) return;
        if (to - from == 1) {
            refused.refused(from, e);
            return;
        }
        int mid = (from + to) >>> 1;
        isolate(from, mid, attempt, refused);
        isolate(mid, to, attempt, refused);
    }
}
