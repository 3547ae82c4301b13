package org.pgbackfill.verify;

import java.util.concurrent.atomic.LongAdder;

/** The running totals of a check, added to by every worker. */
final class Tally {
    final LongAdder ranges = new LongAdder();
    final LongAdder chats = new LongAdder();
    final LongAdder rowsExpected = new LongAdder();
    final LongAdder rowsStored = new LongAdder();
    final LongAdder rowsMatched = new LongAdder();
    final LongAdder messagesRejected = new LongAdder();
    final LongAdder chatsRejected = new LongAdder();
    final LongAdder rejectionsRecorded = new LongAdder();
    final LongAdder collisions = new LongAdder();
    final LongAdder arrayRowsTolerated = new LongAdder();
}
