package org.pgbackfill.run;

/** The phases of a backfill, in order. Each is recorded in the control table when it completes. */
public enum Phase {
    CHECK, PLAN, LOAD, MERGE, BUILD, STAMP;

    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
}
