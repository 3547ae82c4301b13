package org.pgbackfill.copy;


import com.lmax.disruptor.EventHandler;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.db.Database;
import org.pgbackfill.db.SqlStates;
import org.pgbackfill.db.Transactions;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.state.Rejection;
import org.pgbackfill.ring.RowEvent;
import org.pgbackfill.ring.RowRing;
import org.pgbackfill.metrics.RunMetrics;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * One COPY writer: takes its share of the ring's events ({@code sequence % writers == index}, the
 * Disruptor 4 way to give each event to exactly one of N consumers), and copies them straight into
 * {@code chat_message} (which has no index yet) with binary COPY in bounded transactions (rows
 * and bytes capped).
 *
 * <p>Every transaction is fenced: just before it commits, it reads the attempt of each range it
 * holds rows of with {@code FOR SHARE}. If another claim has taken a range meanwhile (this
 * process's lease lapsed), the transaction rolls back and the writer fails; if the new claim comes
 * after the commit, it waits for the commit (its UPDATE needs the row) and then deletes the range's
 * rows before loading it again. Either way no attempt but the last leaves rows behind.
 *
 * <p>Rows are encoded and streamed into an open COPY as they arrive (the server works while the
 * ring fills), and kept until the transaction commits. A COPY must not fail because of one bad
 * row: values are validated before encoding, and if PostgreSQL still refuses the batch (an
 * encoding the server cannot store, say), the kept rows are loaded again in halves until the
 * offending rows are alone; those are recorded as rejections ({@link RejectReason#COPY_FAILED})
 * with PostgreSQL's message, and the rest loads.
 */
public final class CopyWriter implements EventHandler<RowEvent> {
    private static final Logger log = LoggerFactory.getLogger(CopyWriter.class);
    private static final long IDLE_COMMIT_NANOS = 1_000_000_000L;
    /** Encoded bytes are handed to the COPY stream in pieces of about this size. */
    public static final int FLUSH_BYTES = 1 << 20;

    private final int index;
    private final int writers;
    private final Database db;
    private final String copySql;
    private final String fenceSql;
    private final String schema;
    private final long runId;
    private final RangeTracker tracker;
    private final Semaphore inFlight;
    private final long maxBytes;
    private final int maxRows;
    private final String toastCompression;
    private final RunMetrics metrics;
    private final RejectionLog rejectionLog;

    private final BinaryCopyEncoder encoder = new BinaryCopyEncoder();
    private final PendingTransaction pending = new PendingTransaction();
    private Connection conn;
    private CopyIn copy;                 // open while rows of the current transaction are streaming
    private SQLException streamFailure;  // the server refused the stream; the commit isolates the bad rows

    public CopyWriter(int index, int writers, Database db, String schema, long runId, RangeTracker tracker,
               Semaphore inFlight, long maxBytes, int maxRows, String toastCompression, RunMetrics metrics, RejectionLog rejectionLog) {
        this.metrics = metrics;
        this.rejectionLog = rejectionLog;
        this.index = index;
        this.writers = writers;
        this.db = db;
        this.schema = schema;
        this.copySql = "COPY chat_message (" + org.pgbackfill.schema.TargetSchema.COLUMNS + ") FROM STDIN (FORMAT binary)";
        this.fenceSql = "SELECT range_id, attempt FROM " + schema + ".range WHERE run_id = ? AND range_id = ANY (?) FOR SHARE";
        this.runId = runId;
        this.tracker = tracker;
        this.inFlight = inFlight;
        this.maxBytes = maxBytes;
        this.maxRows = maxRows;
        this.toastCompression = toastCompression;
    }

    @Override
    public void onEvent(RowEvent e, long sequence, boolean endOfBatch) throws Exception {
        if (sequence % writers != index) return;
        pending.start();
        switch (e.kind) {
            case ROW -> {
                stream(e.row, e.claim);
                pending.row(e.row, e.claim, e.weight, RowRing.permitsFor(e.weight));
            }
            case REJECTED_MESSAGE, REJECTED_CHAT -> pending.rejection(e.rejection, e.claim, e.weight, RowRing.permitsFor(e.weight));
            case FLUSH -> {
                commit();
                e.flushed.countDown();
            }
        }
        e.clear();
        if (pending.bytes() >= maxBytes || pending.rowCount() >= maxRows) commit();
    }

    @Override
    public void onTimeout(long sequence) throws Exception {
        if (pending.firstNanos() != 0 && System.nanoTime() - pending.firstNanos() > IDLE_COMMIT_NANOS) commit();
    }

    @Override
    public synchronized void onShutdown() {
        cancelCopy();
        if (conn != null) {
            try { conn.close(); } catch (SQLException ignored) { }
            conn = null;
        }
    }

    /** Encodes a row into the open COPY (opening one if needed); a refusal is kept for the commit to handle. */
    private void stream(MessageRow row, ControlTables.Claim claim) throws SQLException {
        if (streamFailure != null) return;
        try {
            if (copy == null) copy = openCopy(connection());
            encoder.append(row);
            if (encoder.length() >= FLUSH_BYTES) flushEncoder();
        } catch (SQLException e) {
            if (SqlStates.connectionLost(e)) throw e;
            streamFailure = e;
            cancelCopy();
        }
    }

    /** Loads everything pending in one transaction (isolating bad rows if it fails), then reports the ranges. */
    private void commit() throws Exception {
        long commitStart = pending.firstNanos() == 0 ? System.nanoTime() : pending.firstNanos();
        if (pending.isEmpty()) {
            pending.clear();
            return;
        }
        Connection c = connection();
        try {
            if (streamFailure != null) throw streamFailure;
            if (copy != null) {
                flushEncoder();
                copy.writeToCopy(BinaryCopyEncoder.TRAILER, 0, BinaryCopyEncoder.TRAILER.length);
                long copied = copy.endCopy();
                copy = null;
                requireCount(copied, pending.rowCount());
            }
            insertRejections(c);
            fence(c);
            c.commit();
        } catch (SQLException e) {
            cancelCopy();
            Transactions.rollbackAfter(c, e);
            if (notTheRows(e)) throw e;
            log.warn("COPY of {} rows failed ({}); isolating the rows PostgreSQL refuses", pending.rowCount(), e.getMessage());
            isolate(c, 0, pending.rowCount());
            insertRejections(c);
            fence(c);
            c.commit();
        }
        for (Rejection.Claimed r : pending.rejections()) {
            metrics.rejected(r.rejection().reason().name(), 1);
            rejectionLog.logged(r.rejection());
        }
        metrics.copyCommitted(pending.rowCount(), System.nanoTime() - commitStart);
        pending.committed(tracker);
        inFlight.release(pending.permits());
        pending.clear();
        streamFailure = null;
        encoder.clear();
    }

    /** Loads rows [from, to) each half in its own transaction until the refused rows stand alone ({@link Halving}). */
    private void isolate(Connection c, int from, int to) throws SQLException {
        Halving.isolate(from, to, (a, b) -> {
            try {
                copyAgain(c, a, b);
                fence(c);
                c.commit();
                return null;
            } catch (SQLException e) {
                Transactions.rollbackAfter(c, e);
                if (notTheRows(e)) throw e;
                return e;
            }
        }, (i, e) -> pending.refused(i, "PostgreSQL refused the row: " + e.getMessage()));
    }

    /** Copies the pending rows [from, to) again in a COPY of their own. */
    private void copyAgain(Connection c, int from, int to) throws SQLException {
        CopyIn in = openCopy(c);
        try {
            encoder.clear();
            for (int i = from; i < to; i++) {
                encoder.append(pending.row(i));
                if (encoder.length() >= FLUSH_BYTES) {
                    in.writeToCopy(encoder.buffer(), 0, encoder.length());
                    encoder.clear();
                }
            }
            in.writeToCopy(encoder.buffer(), 0, encoder.length());
            in.writeToCopy(BinaryCopyEncoder.TRAILER, 0, BinaryCopyEncoder.TRAILER.length);
            requireCount(in.endCopy(), to - from);
        } finally {
            encoder.clear();
            if (in.isActive()) in.cancelCopy();
        }
    }

    /** A failure that is not the rows' (the connection, another claim, a count the server got wrong): no halving helps it. */
    private static boolean notTheRows(SQLException e) {
        return SqlStates.connectionLost(e) || e instanceof Superseded || e instanceof CountMismatch;
    }

    /** The server took another number of rows than was sent: the transaction must not commit (its ranges are loaded again). */
    static final class CountMismatch extends SQLException {
        CountMismatch(String message) { super(message); }
    }

    private static void requireCount(long copied, int sent) throws CountMismatch {
        if (copied != sent) {
            throw new CountMismatch("COPY took " + copied + " rows where " + sent + " were sent; the transaction is rolled back");
        }
    }

    /** A range of this transaction was claimed again by someone else: the transaction must not commit. */
    static final class Superseded extends SQLException {
        Superseded(String message) { super(message); }
    }

    /**
     * Holds, until the commit, a share lock on the control rows of the ranges this transaction
     * writes for, and checks each is still at this writer's attempt.
     */
    private void fence(Connection c) throws SQLException {
        Map<Integer, Integer> attempts = new HashMap<>();
        for (ControlTables.Claim claim : pending.claims()) {
            Integer other = attempts.put(claim.range().id(), claim.attempt());
            if (other != null && other != claim.attempt()) {
                throw new Superseded(claim.range() + " is in this transaction twice, as attempts " + other + " and " + claim.attempt());
            }
        }
        if (attempts.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement(fenceSql)) {
            ps.setLong(1, runId);
            ps.setArray(2, c.createArrayOf("int4", attempts.keySet().toArray()));
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    int range = rs.getInt(1), now = rs.getInt(2);
                    if (now != attempts.get(range)) {
                        throw new Superseded("range " + range + " was claimed again (attempt " + now + ") while attempt "
                            + attempts.get(range) + " was still writing; this attempt's rows are rolled back");
                    }
                }
            }
        }
    }

    private CopyIn openCopy(Connection c) throws SQLException {
        CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
        in.writeToCopy(BinaryCopyEncoder.HEADER, 0, BinaryCopyEncoder.HEADER.length);
        return in;
    }

    private void flushEncoder() throws SQLException {
        if (encoder.length() > 0) copy.writeToCopy(encoder.buffer(), 0, encoder.length());
        encoder.clear();
    }

    /** pgjdbc's rule: never leave a connection in the middle of a COPY. */
    private void cancelCopy() {
        if (copy != null) {
            try {
                if (copy.isActive()) copy.cancelCopy();
            } catch (SQLException ignored) {
                // the connection is beyond use; the rollback or close that follows reports it
            }
            copy = null;
        }
    }

    private void insertRejections(Connection c) throws SQLException {
        Rejection.insertAll(c, schema, runId, pending.rejections());
    }

    private Connection connection() throws SQLException {
        if (conn == null) {
            conn = db.connection();
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                // synchronous_commit stays on: a range is recorded as loaded right after its rows commit, and an
                // asynchronous commit lost in a server crash would leave a range recorded as loaded without its rows
                // (the record being written after the restart). The transactions are large, so waiting costs little.
                if ("lz4".equals(toastCompression)) st.execute("SET default_toast_compression = lz4");
            }
            conn.commit();
        }
        return conn;
    }
}
