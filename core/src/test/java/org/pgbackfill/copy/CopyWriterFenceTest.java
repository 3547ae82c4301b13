package org.pgbackfill.copy;

import org.pgbackfill.ring.RowEvent;
import org.pgbackfill.state.Rejection;


import org.pgbackfill.testing.VersionMatrix;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.Database;
import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.source.KeyRange;
import org.pgbackfill.state.ControlTables;
import org.pgbackfill.metrics.RunMetrics;
import org.pgbackfill.schema.TargetTable;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The writer's fence: rows written for an attempt that another claim has superseded (a process
 * whose lease lapsed but which still writes) must not commit; rows of the current attempt do.
 */
@VersionMatrix
class CopyWriterFenceTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    private static final String SCHEMA = "pgbackfill";

    @Test
    void aTransactionOfASupersededAttemptRollsBackAndTheCurrentAttemptCommits() throws Exception {
        ControlTables control = new ControlTables(SCHEMA);
        long runId;
        try (Connection c = pg.connect()) {
            OpenWebUiDatabase.createSchema(c);
            control.create(c);
            runId = control.startRun(c, 1_750_000_000L, 1, false);
            control.saveRanges(c, runId, List.of(new KeyRange(1, null, null, 0)));
            TargetTable.create(c);
        }
        List<MessageRow> rows = rows("chat-1", "{\"history\":{\"messages\":{\"a\":{\"role\":\"user\"},\"b\":{\"role\":\"assistant\"}}}}");
        try (Database db = new Database(pg.url(), 4, "fence-test", new SimpleMeterRegistry(), "10s");
             Connection c = pg.connect()) {
            ControlTables.Claim first = control.leases().claimRange(c, runId, "process-a", 60);
            CopyWriter stale = writer(db, runId);
            long seq = 0;
            for (MessageRow r : rows) stale.onEvent(row(first, r), seq++, true);
            // process-a's lease lapses and process-b claims the range: attempt 2
            control.leases().releaseRange(c, runId, first, "process-a", "lease lapsed");
            ControlTables.Claim second = control.leases().claimRange(c, runId, "process-b", 60);
            assertEquals(2, second.attempt());
            CopyWriter.Superseded refused = assertThrows(CopyWriter.Superseded.class, () -> stale.onEvent(flush(), 99, true));
            assertTrue(refused.getMessage().contains("claimed again (attempt 2)"), refused.getMessage());
            stale.onShutdown();
            assertEquals(0, count(c), "the superseded attempt's rows must not be in chat_message");

            CopyWriter current = writer(db, runId);
            for (MessageRow r : rows) current.onEvent(row(second, r), seq++, true);
            current.onEvent(flush(), seq, true);
            current.onShutdown();
            assertEquals(2, count(c), "the current attempt's rows commit");
        }
    }

    private static CopyWriter writer(Database db, long runId) {
        RangeTracker tracker = new RangeTracker((claim, chats, rows, bytes) -> { });
        return new CopyWriter(0, 1, db, SCHEMA, runId, tracker, new Semaphore(1 << 20), 32L << 20, 50_000, null,
            RunMetrics.NONE, new RejectionLog(SCHEMA));
    }

    private static RowEvent row(ControlTables.Claim claim, MessageRow r) {
        RowEvent e = new RowEvent();
        e.kind = RowEvent.Kind.ROW;
        e.claim = claim;
        e.row = r;
        e.weight = r.weight();
        return e;
    }

    private static RowEvent flush() {
        RowEvent e = new RowEvent();
        e.kind = RowEvent.Kind.FLUSH;
        e.flushed = new CountDownLatch(1);
        return e;
    }

    private static List<MessageRow> rows(String chatId, String doc) throws Exception {
        List<MessageRow> rows = new ArrayList<>();
        new MessageExtractor(1_750_000_000L).extract(chatId, "user-1", DocumentSource.of(doc.getBytes(StandardCharsets.UTF_8)),
            new ExtractionSink() {
                @Override public void row(MessageRow row) { rows.add(row); }
                @Override public void rejectedMessage(String c, String k, RejectReason r, String d, byte[] raw) { throw new AssertionError(d); }
                @Override public void rejectedChat(String c, RejectReason r, String d, byte[] p) { throw new AssertionError(d); }
            });
        return rows;
    }

    private static long count(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM chat_message")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
