package org.pgbackfill.verify;

import org.pgbackfill.concurrent.Threads;
import org.pgbackfill.job.chatmessage.ChatMessageJob;
import org.pgbackfill.source.KeyRange;
import org.pgbackfill.source.RangePlanner;
import org.pgbackfill.BackfillException;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code pgbackfill verify}: an independent check that {@code chat_message} holds exactly what
 * {@code chat} says it must, right now, whoever wrote it (a pgbackfill run, or Open WebUI's own
 * migration). For every chat, or a sample, the rows are recomputed from the document with the
 * production extractor and compared with the stored rows by id and by a digest of their canonical
 * content; ranges of chat ids are checked in parallel, each on its own connection and snapshot.
 * It only reads: nothing in the database changes.
 */
public final class Verifier {
    /** No range holds much more than this many bytes of documents (and so of rows held as digests). */
    static final long MAX_RANGE_BYTES = 64L << 20;

    /** Told after each range; called from worker threads. */
    public interface Progress {
        Progress NONE = (done, total, chats) -> { };

        void rangeChecked(int done, int total, long chats);
    }

    private final VerifyConfig config;

    public Verifier(VerifyConfig config) {
        this.config = config;
    }

    public VerifyReport verify() throws BackfillException {
        long start = System.nanoTime();
        long checkStart = Instant.now().getEpochSecond();
        CheckContext ctx;
        List<KeyRange> ranges;
        try (Connection c = connect()) {
            String idCollation = TableCheck.check(c);
            RunRecord run = RunRecord.read(c, config.schema());
            CreatedAtRule rule = config.nowEpoch() != null ? CreatedAtRule.known(config.nowEpoch(), "as given")
                : run.nowEpoch() != null ? CreatedAtRule.known(run.nowEpoch(), "run " + run.runId() + " in schema " + config.schema())
                : CreatedAtRule.unknown(checkStart);
            long threshold = config.samplePercent() == null ? -1
                : Math.max(1, Math.round(config.samplePercent() * CheckContext.SAMPLE_BUCKETS / 100));
            ctx = new CheckContext(idCollation, threshold, config.inlineDocumentBytes(), rule, run,
                new MismatchLog(config.maxMismatches()), new Tally());
            ranges = new RangePlanner(config.workers() * config.rangesPerWorker(), MAX_RANGE_BYTES, ChatMessageJob.SCOPE).plan(c).ranges();
        } catch (SQLException e) {
            throw classify(e);
        }
        checkAll(ctx, ranges);
        Tally t = ctx.tally();
        return new VerifyReport(t.chats.sum(), t.rowsExpected.sum(), t.rowsStored.sum(), t.rowsMatched.sum(),
            t.messagesRejected.sum(), t.chatsRejected.sum(), t.rejectionsRecorded.sum(), t.collisions.sum(),
            t.arrayRowsTolerated.sum(), ranges.size(), config.workers(), config.samplePercent(), ctx.createdAt().describe(),
            (System.nanoTime() - start) / 1e9, ctx.log().counts(), ctx.log().kept());
    }

    /** Workers take ranges from a queue until it is empty; the first failure stops them all. */
    private void checkAll(CheckContext ctx, List<KeyRange> ranges) throws BackfillException {
        Queue<KeyRange> queue = new ConcurrentLinkedQueue<>(ranges);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger done = new AtomicInteger();
        int workers = Math.min(config.workers(), ranges.size());
        try {
            Threads.runAll("pgbackfill-verify-", workers, () -> {
                try (Connection c = connect()) {
                    RangeCheck check = new RangeCheck(c, ctx);
                    KeyRange r;
                    while (failure.get() == null && (r = queue.poll()) != null) {
                        try {
                            check.check(r);
                        } catch (SQLException | IOException e) {
                            throw new RangeFailure(r, e);
                        }
                        config.progress().rangeChecked(done.incrementAndGet(), ranges.size(), ctx.tally().chats.sum());
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, () -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, e);
        }
        Throwable f = failure.get();
        if (f instanceof RangeFailure || f instanceof SQLException || f instanceof IOException) {
            throw classify(f);
        }
        if (f instanceof RuntimeException e) throw e;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException("the check was interrupted", f);
    }

    /** A range's check failed: the message names the range. */
    private static final class RangeFailure extends RuntimeException {
        RangeFailure(KeyRange range, Exception cause) {
            super("checking " + range + " failed: " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()), cause);
        }
    }

    /** A connection straight from the driver, set up as the backfill's are (the password never leaves DatabaseUrl). */
    private Connection connect() throws SQLException { return connect(config); }

    /** A connection of verify's own, with no statement timeout (a range may take a while). */
    static Connection connect(VerifyConfig config) throws SQLException {
        Properties p = config.database().properties();
        p.setProperty("ApplicationName", "pgbackfill verify");
        p.setProperty("connectTimeout", "10");
        p.setProperty("tcpKeepAlive", "true");
        Connection c = DriverManager.getConnection(config.database().jdbcUrl(), p);
        try (Statement st = c.createStatement()) {
            st.execute("SET standard_conforming_strings = on; SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0");
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    private BackfillException classify(Throwable e) { return classify(e, config); }

    static BackfillException classify(Throwable e, VerifyConfig config) {
        return org.pgbackfill.db.DatabaseFailure.classify(e, config.database().toString(),
            "The check needs SELECT on chat and chat_message (and on the tool's schema, if any)", "the check failed",
            "Nothing was changed; fix the cause and run it again");
    }
}
