package org.pgbackfill.load;

import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.run.ControlTables;

import java.util.concurrent.CountDownLatch;

/** A slot of the ring between readers and COPY writers: a row, a rejection, or a flush request. */
final class RowEvent {
    enum Kind { ROW, REJECTED_MESSAGE, REJECTED_CHAT, FLUSH }

    Kind kind;
    ControlTables.Claim claim;
    int weight;
    MessageRow row;
    Rejection rejection;
    CountDownLatch flushed;

    void clear() {
        row = null;
        rejection = null;
        flushed = null;
    }
}
