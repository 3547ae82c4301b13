package org.pgbackfill.bench;

import java.util.Locale;

/**
 * What one baseline run ({@link UpstreamBaseline}, {@link JsonbBaseline}) took, phase by phase, for
 * the end-to-end benchmark's table next to pgbackfill's own phases.
 *
 * @param name              which baseline
 * @param loadSeconds       creating {@code chat_message} and filling it (reading, extracting, inserting)
 * @param indexSeconds      the seven secondary indexes, one after another
 * @param foreignKeySeconds the foreign key: ADD … NOT VALID, deleting orphans, VALIDATE
 * @param totalSeconds      wall time of the whole run (the three phases and the commits between them)
 * @param chatsRead         chats the backfill read, or -1 when the baseline cannot tell (one SQL statement)
 * @param documentBytes     bytes of the documents read (as text), or -1 when unknown
 * @param rows              rows in {@code chat_message} afterwards
 * @param skipped           messages that did not land: rejected by the extractor, or failed on insert
 *                          (upstream logs and loses these); -1 when unknown
 */
public record BaselineResult(String name, double loadSeconds, double indexSeconds, double foreignKeySeconds,
                             double totalSeconds, long chatsRead, long documentBytes, long rows, long skipped) {

    @Override public String toString() {
        return String.format(Locale.ROOT, "%s: load %.2f s, indexes %.2f s, foreign key %.2f s, total %.2f s; "
                + "%d rows%s%s", name, loadSeconds, indexSeconds, foreignKeySeconds, totalSeconds, rows,
            chatsRead >= 0 ? String.format(Locale.ROOT, " from %d chats (%.1f MB of documents)", chatsRead, documentBytes / 1e6) : "",
            skipped > 0 ? ", " + skipped + " messages skipped" : "");
    }
}
