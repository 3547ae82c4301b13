package org.pgbackfill.job.currentmessage;

/** What {@link CurrentMessageRule} decides for one chat. */
public sealed interface CurrentMessageOutcome {
    /** Which step of SPEC.md 7 gave the value. */
    enum Source { ROW_CANDIDATE, ROW_LEAF, DOCUMENT_CANDIDATE, DOCUMENT_LEAF }

    /** Write {@code value} (non-empty, different from the column's current value). */
    record Write(String value, Source source) implements CurrentMessageOutcome { }

    /** Leave the column as it is: no value, an empty one, or the value it already holds. */
    record Unchanged() implements CurrentMessageOutcome { }

    /** Upstream would have aborted on this chat: leave the column as it is and record the chat. */
    record Rejected(CurrentMessageReject reason, String detail) implements CurrentMessageOutcome { }

    Unchanged UNCHANGED = new Unchanged();
}
