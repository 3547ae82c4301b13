package org.pgbackfill.bench;

import org.pgbackfill.schema.TargetSchema;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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

    /**
     * What both baselines do once chat_message is filled, as upstream does: the seven indexes one
     * after another, then the foreign key NOT VALID, orphans deleted, VALIDATE, each committed.
     * Returns {seconds of the indexes, seconds of the foreign key}.
     */
    static double[] buildIndexesAndForeignKey(Connection c, String name, PrintStream out) throws SQLException {
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement()) {
            for (org.pgbackfill.schema.Index ix : TargetSchema.INDEXES) {
                long s = System.nanoTime();
                st.execute(ix.ddl());
                c.commit();
                out.printf(Locale.ROOT, "  %s: %s %.1f s%n", name, ix.name(), (System.nanoTime() - s) / 1e9);
            }
        }
        long t1 = System.nanoTime();
        try (Statement st = c.createStatement()) {
            st.execute(TargetSchema.ADD_FOREIGN_KEY);
            c.commit();
            int orphans = st.executeUpdate("DELETE FROM chat_message cm WHERE NOT EXISTS (SELECT 1 FROM chat c WHERE c.id = cm.chat_id)");
            c.commit();
            if (orphans > 0) out.println("  " + name + ": removed " + orphans + " orphaned chat_message rows");
            st.execute(TargetSchema.VALIDATE_FOREIGN_KEY);
            c.commit();
        }
        long t2 = System.nanoTime();
        out.printf(Locale.ROOT, "  %s: indexes %.1f s, foreign key %.1f s%n", name, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9};
    }

    /** Rows in chat_message, committed. */
    static long countRows(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM chat_message")) {
            rs.next();
            long rows = rs.getLong(1);
            c.commit();
            return rows;
        }
    }
}
