package org.pgbackfill.source;

/**
 * A slice {@code (lo, hi]} of the {@code chat.id} keyspace; a null bound is unbounded. Membership
 * is always decided by PostgreSQL in the column's collation ({@link #predicate()}), never in Java.
 */
public record KeyRange(int id, String lo, String hi, long estimatedBytes) {

    /** SQL predicate on {@code id} selecting this range; bounds are inlined as escaped literals (COPY takes no parameters). */
    public String predicate() { return predicate("id"); }

    /**
     * The same predicate on another expression, e.g. {@code chat_message.chat_id} with chat.id's
     * collation: {@code predicate("chat_id COLLATE \"en-US-x-icu\"")} selects the rows of this range's chats.
     */
    public String predicate(String column) {
        if (lo == null && hi == null) return "TRUE";
        if (lo == null) return column + " <= " + literal(hi);
        if (hi == null) return column + " > " + literal(lo);
        return column + " > " + literal(lo) + " AND " + column + " <= " + literal(hi);
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
