package org.pgbackfill.copy;

import org.pgbackfill.state.Rejection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The log lines about rejections, shared by the writers of one load: the first ones one by one,
 * then a count every {@link #PER_LINE} (every rejection is in the rejection tables anyway).
 */
public final class RejectionLog {
    private static final Logger log = LoggerFactory.getLogger(CopyWriter.class);
    static final int ONE_BY_ONE = 10;
    static final int PER_LINE = 1000;

    private final String schema;
    private final AtomicLong seen = new AtomicLong();

    public RejectionLog(String schema) { this.schema = schema; }

    void logged(Rejection r) {
        long n = seen.incrementAndGet();
        if (n <= ONE_BY_ONE) {
            log.warn("rejected {} of chat {}: {} ({}){}", r.messageKey() == null ? "the document" : "message " + Rejection.textSafe(r.messageKey()),
                r.chatId(), r.reason(), r.detail(), n == ONE_BY_ONE ? "; further rejections are counted, see " + schema
                    + ".rejected_message" : "");
        } else if (n % PER_LINE == 0) {
            log.warn("{} rejections so far (all recorded with their raw JSON in the rejection tables)", n);
        }
    }
}
