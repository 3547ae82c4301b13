package org.pgbackfill.copy;

import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.state.Rejection;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one writer's open transaction holds, until it commits or rolls back: the rows sent to the
 * COPY (each with the range claim it belongs to, so a row the server refuses can be recorded as a
 * rejection of that attempt), the rejections to insert, and per claimed range the events handled
 * and rows written, which the range's bookkeeping is told once the transaction has committed.
 */
final class PendingTransaction {
    /** A row and the claim (range and attempt) it was read under. */
    record Row(MessageRow row, ControlTables.Claim claim) { }

    /** Per claimed range: events taken from the ring, and rows among them written to the target. */
    private static final class Counts {
        long events;
        long rows;
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<Rejection.Claimed> rejections = new ArrayList<>();
    private final Map<ControlTables.Claim, Counts> perRange = new HashMap<>();
    private long bytes;
    private int permits;
    private long firstNanos;

    void row(MessageRow row, ControlTables.Claim claim, int weight, int permits) {
        start();
        rows.add(new Row(row, claim));
        counts(claim).rows++;
        add(claim, weight, permits);
    }

    void rejection(Rejection r, ControlTables.Claim claim, int weight, int permits) {
        start();
        rejections.add(new Rejection.Claimed(r, claim));
        add(claim, weight, permits);
    }

    /** The row at {@code i}, refused by the server on its own: recorded as a COPY_FAILED rejection of its attempt instead. */
    void refused(int i, String why) {
        Row r = rows.get(i);
        counts(r.claim()).rows--;   // not written after all
        rejections.add(new Rejection.Claimed(new Rejection(r.row().chatId, r.row().messageKey, RejectReason.COPY_FAILED, why,
            r.row().messageJson), r.claim()));
    }

    /** The transaction has begun (its first event): an idle writer commits what it holds after a while. */
    void start() {
        if (firstNanos == 0) firstNanos = System.nanoTime();
    }

    private void add(ControlTables.Claim claim, int weight, int permits) {
        counts(claim).events++;
        bytes += weight;
        this.permits += permits;
    }

    private Counts counts(ControlTables.Claim claim) { return perRange.computeIfAbsent(claim, k -> new Counts()); }

    boolean isEmpty() { return rows.isEmpty() && rejections.isEmpty(); }

    int rowCount() { return rows.size(); }

    MessageRow row(int i) { return rows.get(i).row(); }

    List<Rejection.Claimed> rejections() { return rejections; }

    /** The claims this transaction writes for: the fence checks each is still at its attempt. */
    Set<ControlTables.Claim> claims() { return perRange.keySet(); }

    long bytes() { return bytes; }

    /** Budget permits its events took, given back when it ends. */
    int permits() { return permits; }

    /** When its first event arrived (System.nanoTime), or 0 while it holds none. */
    long firstNanos() { return firstNanos; }

    /** Tells the range bookkeeping what the committed transaction held. */
    void committed(RangeTracker tracker) throws Exception {
        for (Map.Entry<ControlTables.Claim, Counts> r : perRange.entrySet()) {
            tracker.committed(r.getKey(), r.getValue().events, r.getValue().rows);
        }
    }

    void clear() {
        rows.clear();
        rejections.clear();
        perRange.clear();
        bytes = 0;
        permits = 0;
        firstNanos = 0;
    }
}
