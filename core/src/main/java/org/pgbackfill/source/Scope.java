package org.pgbackfill.source;

/**
 * Which chats a job reads, as a SQL predicate over {@code chat}'s own columns: the one home of
 * that rule, used alike by the planner, the readers, the dry run, the reconciliation and verify.
 */
public record Scope(String predicate) {
    /** Every chat. */
    public static final Scope EVERY_CHAT = new Scope("TRUE");
}
