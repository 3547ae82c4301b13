package org.pgbackfill.job.currentmessage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.Backfill;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.engine.RunReport;
import org.pgbackfill.testing.PostgresFixture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The current_message_id job on a database exactly as {@code pgbackfill seed --revision 856c5b02fb54} makes it
 * (nothing added by the test): every chat ends with {@link ReferenceRule}'s value, through
 * {@link CurrentMessageJobTest}'s reference and check.
 */
class SeededDatabaseTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void everyChatOfASeededDatabaseHoldsTheReferenceValue() throws Exception {
        DatabaseUrl url = CurrentMessageJobTest.seededAt856c5b02fb54(pg, "seeded", "", 11, 500);
        CurrentMessageJobTest.Expected expected = CurrentMessageJobTest.expected(url);
        RunReport report = new Backfill(BackfillConfig.builder().database(url).workers(2).nowEpoch(CurrentMessageJobTest.NOW)
            .job(CurrentMessageJob::new).build()).run();
        CurrentMessageJobTest.assertExact(url, expected);
        assertEquals(expected.chats(), report.chatsRead());
        assertEquals(expected.values().size(), report.rowsWritten(), "a seeded database has no column yet: every value is written");
        assertTrue(expected.values().size() > 400, "most chats get a value: " + expected.values().size() + " of " + expected.chats());
    }
}
