package org.pgbackfill.bench;

import org.pgbackfill.schema.IndexBuilder;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What the machine can physically do, measured on the same server in the same run as the
 * backfills: reading the documents, writing the final rows, building the eight indexes. No
 * backfill can beat the sum of the three; each is the best of {@code repeats} tries.
 */
final class Limits {
    /** Seconds of each limit; {@code rowBytes} is the size of the final rows in binary COPY format. */
    record Figures(double readSeconds, double writeSeconds, double indexSeconds, long rowBytes) {
        double sum() { return readSeconds + writeSeconds + indexSeconds; }
    }

    static final String READ_SQL = "COPY (SELECT id, user_id, chat FROM chat WHERE user_id NOT LIKE 'shared-%') TO STDOUT";

    private Limits() { }

    /** {@code COPY (SELECT id, user_id, chat FROM chat …) TO STDOUT}, streamed to this process and discarded. */
    static double read(Connection c, int repeats) throws SQLException, java.io.IOException {
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            copy.copyOut(READ_SQL, OutputStream.nullOutputStream());
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    /**
     * On a database holding a finished chat_message: its rows saved in binary COPY format to a
     * local file, then, {@code repeats} times, binary COPY of that file into a fresh logged table
     * (chat_message's columns, no index, lz4 TOAST compression when the server has it, as the
     * backfill uses) and the eight indexes built on it one after another. Returns {write, index} seconds.
     */
    static double[] writeAndIndex(Connection c, int repeats, String maintenanceWorkMem, String toastCompression) throws Exception {
        Path rows = Files.createTempFile("pgbackfill-bench-rows", ".copy");
        try {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(rows), 1 << 20)) {
                copy.copyOut("COPY chat_message TO STDOUT (FORMAT binary)", out);
            }
            double bestWrite = Double.MAX_VALUE, bestIndex = Double.MAX_VALUE;
            try (Statement st = c.createStatement()) {
                st.execute("SET maintenance_work_mem = '" + maintenanceWorkMem + "'");
                if (toastCompression != null) st.execute("SET default_toast_compression = " + toastCompression);
                for (int i = 0; i < repeats; i++) {
                    st.execute("DROP TABLE IF EXISTS pgbackfill_bench_limit");
                    st.execute("CREATE TABLE pgbackfill_bench_limit (LIKE chat_message)");
                    long t0 = System.nanoTime();
                    try (InputStream in = new BufferedInputStream(Files.newInputStream(rows), 1 << 20)) {
                        copy.copyIn("COPY pgbackfill_bench_limit FROM STDIN (FORMAT binary)", in);
                    }
                    bestWrite = Math.min(bestWrite, (System.nanoTime() - t0) / 1e9);
                    t0 = System.nanoTime();
                    for (org.pgbackfill.schema.Index ix : IndexBuilder.ALL) {
                        st.execute(ix.on("pgbackfill_bench_limit", "bench_" + ix.name()));
                    }
                    bestIndex = Math.min(bestIndex, (System.nanoTime() - t0) / 1e9);
                }
                st.execute("DROP TABLE pgbackfill_bench_limit");
            }
            return new double[] {bestWrite, bestIndex, Files.size(rows)};
        } finally {
            Files.deleteIfExists(rows);
        }
    }
}
