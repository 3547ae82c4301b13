package org.pgbackfill.verify;

import org.pgbackfill.BackfillException;
import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.concurrent.Threads;
import org.pgbackfill.job.currentmessage.ChatBatches;
import org.pgbackfill.job.currentmessage.CurrentMessageJob;
import org.pgbackfill.job.currentmessage.CurrentMessageOutcome;
import org.pgbackfill.job.currentmessage.CurrentMessageRule;
import org.pgbackfill.source.ChatRangeReader;
import org.pgbackfill.source.KeyRange;
import org.pgbackfill.source.RangePlanner;
import org.pgbackfill.source.ReadGate;
import org.pgbackfill.source.Scope;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * verify for the current_message_id job (9a1b2c3d4e5f): every chat is decided again by SPEC 7 on
 * the tables as they are (its document, its chat_message rows, its column). The column's value
 * before the run is gone, and it was the first candidate, so the stored value is accepted when
 * SPEC 7 gives it from the chat's data with it as the first candidate (nearly always: the value
 * comes first and is kept while it stands) or with no value there (a value the run wrote over;
 * without a first candidate, SPEC 7 is not always idempotent: a leaf {@code <chat>-m2} chosen
 * from the rows becomes {@code m2} when decided again). Anything else is a mismatch, listed with
 * the value stored and the value expected. Chats SPEC 7 cannot decide (where Python would raise)
 * are counted apart; the job records them in the rejection table.
 */
public final class CurrentMessageVerifier {
    /** What the check found. */
    public record Report(long chats, long unchanged, long rejected, long mismatches, List<String> shown, int ranges, double seconds) {
        public boolean matches() { return mismatches == 0; }

        public String summary() {
            return String.format(java.util.Locale.ROOT, "chats checked: %d in %d ranges, %.1f s%n"
                + "current_message_id as SPEC 7 gives it: %d%n"
                + "chats SPEC 7 cannot decide (upstream would abort; the job records them as rejected, their value unchanged): %d%n"
                + "chats whose current_message_id is not SPEC 7's value: %d%n", chats, ranges, seconds, unchanged, rejected, mismatches);
        }
    }

    private final VerifyConfig config;

    public CurrentMessageVerifier(VerifyConfig config) { this.config = config; }

    /** Whether the database is stamped with this job's revision (9a1b2c3d4e5f): then verify checks this job by default. */
    public static boolean stampedFor(VerifyConfig config) throws BackfillException {
        try (Connection c = Verifier.connect(config); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_regclass('alembic_version') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) return false;
            try (ResultSet v = st.executeQuery("SELECT count(*) FILTER (WHERE version_num = '" + CurrentMessageJob.REVISION_AFTER
                    + "') FROM alembic_version")) {
                v.next();
                return v.getLong(1) > 0;
            }
        } catch (SQLException e) {
            throw Verifier.classify(e, config);
        }
    }

    public Report verify() throws BackfillException {
        long start = System.nanoTime();
        List<KeyRange> ranges;
        java.util.Set<String> refused;
        try (Connection c = Verifier.connect(config)) {
            requireColumn(c);
            refused = refusedValues(c);
            ranges = new RangePlanner(config.workers() * config.rangesPerWorker(), Verifier.MAX_RANGE_BYTES, Scope.EVERY_CHAT).plan(c).ranges();
        } catch (SQLException e) {
            throw Verifier.classify(e, config);
        }
        LongAdder chats = new LongAdder(), unchanged = new LongAdder(), rejected = new LongAdder(), mismatches = new LongAdder();
        List<String> shown = Collections.synchronizedList(new ArrayList<>());
        Queue<KeyRange> queue = new ConcurrentLinkedQueue<>(ranges);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger done = new AtomicInteger();
        ChatBatches batches = new ChatBatches(ChatBatches.BATCH_CHATS, ChatBatches.BATCH_BYTES);
        try {
            Threads.runAll("pgbackfill-verify-", Math.min(config.workers(), Math.max(1, ranges.size())), () -> {
                try (Connection a = Verifier.connect(config); Connection b = Verifier.connect(config)) {
                    KeyRange r;
                    while (failure.get() == null && (r = queue.poll()) != null) {
                        batches.run(a, b, r, new ChatRangeReader(a, config.inlineDocumentBytes(), Scope.EVERY_CHAT), ReadGate.OPEN,
                            () -> failure.get() != null, (conn, batch) -> {
                                for (ChatBatches.Decided d : batch) {
                                    chats.increment();
                                    if (d.outcome() instanceof CurrentMessageOutcome.Write w && refused.contains(d.chatId())) {
                                        rejected.increment();   // the server cannot hold SPEC 7's value: the run recorded it
                                    } else if (d.outcome() instanceof CurrentMessageOutcome.Write w && !fromNoValue(d)) {
                                        mismatches.increment();
                                        if (shown.size() < config.maxMismatches()) {
                                            shown.add("chat " + d.chatId() + ": current_message_id should be '" + w.value() + "' ("
                                                + w.source() + "), " + stored(conn, d.chatId()));
                                        }
                                    } else if (d.outcome() instanceof CurrentMessageOutcome.Rejected) {
                                        rejected.increment();
                                    } else {
                                        unchanged.increment();
                                    }
                                }
                            });
                        config.progress().rangeChecked(done.incrementAndGet(), ranges.size(), chats.sum());
                    }
                } catch (SQLException | IOException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }, () -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, e);
        }
        Throwable f = failure.get();
        if (f instanceof SQLException || f instanceof IOException) throw Verifier.classify(f, config);
        if (f instanceof RuntimeException e) throw e;
        if (f != null) throw new IllegalStateException("the check was interrupted", f);
        return new Report(chats.sum(), unchanged.sum(), rejected.sum(), mismatches.sum(), List.copyOf(shown), ranges.size(),
            (System.nanoTime() - start) / 1e9);
    }

    /**
     * The chats the last run recorded as VALUE_REFUSED: SPEC 7's value is one the server refused to store (the
     * database's encoding cannot hold it); they keep their value and count as rejected, not as mismatches.
     */
    private java.util.Set<String> refusedValues(Connection c) throws SQLException {
        java.util.Set<String> out = new java.util.HashSet<>();
        String q = config.schema().replace("'", "''");
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('" + q + ".rejected_chat') IS NOT NULL "
                + "AND to_regclass('" + q + ".run') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) return out;
        }
        String s = org.pgbackfill.schema.SchemaCheck.quote(config.schema());
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT chat_id FROM " + s + ".rejected_chat WHERE reason = '"
                + org.pgbackfill.job.currentmessage.CurrentMessageReject.VALUE_REFUSED.name() + "' AND run_id = (SELECT max(run_id) FROM " + s
                + ".run)")) {
            while (rs.next()) out.add(rs.getString(1));
        }
        return out;
    }

    /** Whether SPEC 7 gives the stored value when no value comes first. */
    private static boolean fromNoValue(ChatBatches.Decided d) {
        return d.current() != null && CurrentMessageRule.decide(d.chatId(), null, d.facts(), d.rows())
            instanceof CurrentMessageOutcome.Write w && w.value().equals(d.current());
    }

    /** The stored value, as the snapshot the batch was decided in sees it. */
    private static String stored(Connection c, String chatId) throws SQLException {
        try (var ps = c.prepareStatement("SELECT current_message_id FROM chat WHERE id = ?")) {
            ps.setString(1, chatId);
            try (ResultSet rs = ps.executeQuery()) {
                String v = rs.next() ? rs.getString(1) : null;
                return v == null ? "it is NULL" : "it is '" + v + "'";
            }
        }
    }

    private static void requireColumn(Connection c) throws SQLException, BackfillException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('chat') IS NOT NULL, "
                + "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'chat' AND column_name = 'current_message_id' "
                + "AND table_schema = current_schema()), to_regclass('chat_message') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1) || !rs.getBoolean(3)) {
                throw new BackfillException(Kind.NOT_OPEN_WEBUI, "no chat or chat_message table: this is not an Open WebUI database "
                    + "at 856c5b02fb54 or later");
            }
            if (!rs.getBoolean(2)) {
                throw new BackfillException(Kind.WRONG_REVISION, "chat has no current_message_id column yet: nothing to verify "
                    + "(run the current_message_id job first)");
            }
        }
    }
}
