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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

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
        return read(c, READ_SQL, repeats);
    }

    /** A {@code COPY … TO STDOUT} streamed to this process and discarded: the best of {@code repeats} tries. */
    static double read(Connection c, String copySql, int repeats) throws SQLException, java.io.IOException {
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            copy.copyOut(copySql, OutputStream.nullOutputStream());
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    /** The UPDATE of every chat that changes: its seconds, the rows it changed, the WAL it wrote, how many were HOT updates. */
    record Update(double seconds, long rows, long walBytes, long hotRows) { }

    /**
     * The write the current_message_id job cannot avoid, on a fresh copy at 856c5b02fb54: the column
     * added, {@code values} (each chat whose value the job writes, and that value) copied into a table
     * of its own and analyzed, a checkpoint (as the copy's creation leaves it for the job), then, timed,
     * ONE set-based {@code UPDATE chat SET current_message_id = v.value FROM values v WHERE chat.id = v.chat_id}
     * in one logged transaction, committed. The same rows as the job changes, every one once, with chat's
     * own indexes and no batching, no staging, no bookkeeping: no way of writing the values is cheaper.
     */
    static Update updateEveryChat(Connection c, Map<String, String> values) throws SQLException, java.io.IOException {
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            st.execute("ALTER TABLE chat ADD COLUMN IF NOT EXISTS current_message_id TEXT");
            st.execute("DROP TABLE IF EXISTS pgbackfill_bench_value");
            st.execute("CREATE UNLOGGED TABLE pgbackfill_bench_value (chat_id text NOT NULL, value text NOT NULL)");
        }
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (e.getValue() == null) continue;
            text.append(copyText(e.getKey())).append('\t').append(copyText(e.getValue())).append('\n');
        }
        c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY pgbackfill_bench_value FROM STDIN",
            new java.io.StringReader(text.toString()));
        try (Statement st = c.createStatement()) {
            st.execute("ANALYZE pgbackfill_bench_value");
            try { st.execute("CHECKPOINT"); } catch (SQLException e) { /* needs pg_checkpoint: the write then costs a little less */ }
        }
        long wal0 = BenchDatabases.walPosition(c);
        c.setAutoCommit(false);
        long t0 = System.nanoTime(), rows, hot;
        try (Statement st = c.createStatement()) {
            rows = st.executeUpdate("UPDATE chat SET current_message_id = v.value FROM pgbackfill_bench_value v WHERE chat.id = v.chat_id");
            try (ResultSet rs = st.executeQuery("SELECT pg_stat_get_xact_tuples_hot_updated('chat'::regclass)")) {
                rs.next();
                hot = rs.getLong(1);
            }
        }
        c.commit();
        double seconds = (System.nanoTime() - t0) / 1e9;
        c.setAutoCommit(true);
        long wal = BenchDatabases.walPosition(c) - wal0;
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE pgbackfill_bench_value");
        }
        return new Update(seconds, rows, wal, hot);
    }

    /** A value in COPY's text format. */
    private static String copyText(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
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
