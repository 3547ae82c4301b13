package org.pgbackfill.plan;

/**
 * A slice {@code (lo, hi]} of the {@code chat.id} keyspace; a null bound is unbounded. Membership
 * is always decided by PostgreSQL in the column's collation ({@link #predicate()}), never in Java.
 */
public record KeyRange(int id, String lo, String hi, long estimatedBytes) {

    /** SQL predicate on {@code id} selecting this range; bounds are inlined as escaped literals (COPY takes no parameters). */
    public String predicate() {
        if (lo == null && hi == null) return "TRUE";
        if (lo == null) return "id <= " + literal(hi);
        if (hi == null) return "id > " + literal(lo);
        return "id > " + literal(lo) + " AND id <= " + literal(hi);
    }

    /** A standard-conforming SQL string literal (the session sets standard_conforming_strings = on). */
    public static String literal(String s) {
        if (s.indexOf('\0') >= 0) throw new IllegalArgumentException("NUL in a key literal");
        return "'" + s.replace("'", "''") + "'";
    }

    @Override public String toString() {
        return "range " + id + " (" + (lo == null ? "-∞" : "'" + lo + "'") + ", " + (hi == null ? "+∞" : "'" + hi + "'") + "]";
    }
}
