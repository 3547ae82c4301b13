package org.pgbackfill.verify;

import org.pgbackfill.source.KeyRange;

/**
 * What every worker of one check shares: how chat ids compare, which chats are in the sample, the
 * timestamp rule, what the run recorded, and where results go. Immutable apart from the log and
 * the tally, which are thread-safe.
 *
 * @param sampleThreshold chats whose id hashes below this, out of 1,000,000, are checked; -1 for all
 */
record CheckContext(String idCollation, long sampleThreshold, int inlineDocumentBytes, CreatedAtRule createdAt,
                    RunRecord run, MismatchLog log, Tally tally) {
    static final long SAMPLE_BUCKETS = 1_000_000;

    /**
     * {@code " AND …"} keeping the sampled chat ids in {@code column}, or empty. A hash of the id,
     * not TABLESAMPLE, so that chat and chat_message agree on which chats are in the sample.
     */
    String sampleOn(String column) {
        if (sampleThreshold < 0) return "";
        return " AND (hashtext(" + column + ") & 2147483647) % " + SAMPLE_BUCKETS + " < " + sampleThreshold;
    }

    /** chat_message's rows for the chats of {@code range}: chat_id compared in chat.id's collation, as the range was cut. */
    String storedRowsOf(KeyRange range) {
        String col = "chat_id COLLATE " + idCollation;
        String p = range.lo() == null && range.hi() == null ? "TRUE"
            : range.lo() == null ? col + " <= " + KeyRange.literal(range.hi())
            : range.hi() == null ? col + " > " + KeyRange.literal(range.lo())
            : col + " > " + KeyRange.literal(range.lo()) + " AND " + col + " <= " + KeyRange.literal(range.hi());
        return p + sampleOn("chat_id");
    }
}
