package org.pgbackfill.verify;

import java.util.List;
import java.util.Map;

/**
 * What a check found: how much it compared, and every mismatch by kind (the first few in detail).
 *
 * @param chatsChecked       chats read (those the backfill reads: {@code user_id NOT LIKE 'shared-%'}), in the sample if any
 * @param rowsExpected       rows their documents yield, less those the run recorded as rejected
 * @param rowsStored         rows of chat_message looked at (those of the same chat ids)
 * @param rowsMatched        expected rows stored with the same content
 * @param messagesRejected   messages the extractor rejects (SPEC.md section 6): expected absent
 * @param chatsRejected      documents that cannot be read: expected to yield nothing
 * @param rejectionsRecorded expected rows absent because the run recorded them as rejected
 *                           (DUPLICATE_ID, INDEX_ROW_TOO_LARGE, COPY_FAILED in the tool's schema)
 * @param collisions         expected rows whose id is held by a chat before theirs in chat's physical order (upstream's winner)
 * @param arrayRowsTolerated rows for messages with an array role/parentId/model: pgbackfill rejects
 *                           them, Open WebUI's migration stores the array as PostgreSQL array text
 * @param samplePercent      the share of chats checked, or null for all
 * @param now                the "now" used for timestamp fallbacks, and where it came from
 * @param mismatchCounts     mismatches by kind (only kinds that occurred)
 * @param mismatches         the first mismatches, with details
 */
public record VerifyReport(long chatsChecked, long rowsExpected, long rowsStored, long rowsMatched,
                           long messagesRejected, long chatsRejected, long rejectionsRecorded, long collisions,
                           long arrayRowsTolerated, int ranges, int workers, Double samplePercent, String now,
                           double seconds, Map<Mismatch.Kind, Long> mismatchCounts, List<Mismatch> mismatches) {

    /** True when chat_message matches chat. */
    public boolean matches() { return mismatchCounts.isEmpty(); }

    public long mismatchCount() {
        return mismatchCounts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** A few lines for a person. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("checked %d chats (%s) in %d ranges with %d workers, %.1f s%n", chatsChecked,
            samplePercent == null ? "all" : "a " + samplePercent + "% sample", ranges, workers, seconds));
        b.append(String.format("rows: %d expected, %d stored, %d identical%n", rowsExpected, rowsStored, rowsMatched));
        b.append(String.format("not expected in chat_message: %d rejected messages, %d unreadable documents, "
            + "%d rows the run recorded as rejected, %d ids kept by the chat before them in chat's order%s%n", messagesRejected, chatsRejected,
            rejectionsRecorded, collisions, arrayRowsTolerated == 0 ? ""
                : "; " + arrayRowsTolerated + " rows with an array role/parentId/model tolerated (Open WebUI's migration stores them)"));
        b.append("now for timestamp fallbacks: ").append(now).append(System.lineSeparator());
        if (matches()) {
            b.append("mismatches: none").append(System.lineSeparator());
        } else {
            b.append("mismatches: ").append(mismatchCount());
            String sep = " (";
            for (Map.Entry<Mismatch.Kind, Long> e : mismatchCounts.entrySet()) {
                b.append(sep).append(e.getKey()).append(' ').append(e.getValue());
                sep = ", ";
            }
            b.append(')').append(System.lineSeparator());
        }
        return b.toString();
    }
}
