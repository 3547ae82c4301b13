package org.pgbackfill.ring;

import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.state.Rejection;

import java.util.concurrent.CountDownLatch;

/** A slot of the ring between readers and COPY writers: a row, a rejection, or a flush request. */
public final class RowEvent {
    public enum Kind { ROW, REJECTED_MESSAGE, REJECTED_CHAT, FLUSH }

    public Kind kind;
    public ControlTables.Claim claim;
    public int weight;
    public MessageRow row;
    public Rejection rejection;
    public CountDownLatch flushed;

    public void clear() {
        row = null;
        rejection = null;
        flushed = null;
    }
}
