package org.pgbackfill.run;

/** The phases of a backfill, in order. Each is recorded in the control table when it completes. */
public enum Phase {
    CHECK, PLAN, LOAD, MERGE, BUILD,
    /** Online runs only: the chats the application changed since they were read, extracted again. */
    CATCH_UP,
    STAMP;

    public String label() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }

    /** The phase of a {@link #label()}. */
    public static Phase of(String label) { return valueOf(label.toUpperCase(java.util.Locale.ROOT).replace('-', '_')); }
}
