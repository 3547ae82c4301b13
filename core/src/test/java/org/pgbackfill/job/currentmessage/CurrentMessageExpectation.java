package org.pgbackfill.job.currentmessage;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.SQLException;
import java.util.Map;

/**
 * For tests outside this package (the command line's, against the real jar): a database at
 * 856c5b02fb54 as {@link CurrentMessageJobTest} makes it, and what {@link ReferenceRule} says every
 * chat must hold after the current_message_id job, checked as {@link CurrentMessageJobTest#assertExact} does.
 */
public final class CurrentMessageExpectation {
    private final CurrentMessageJobTest.Expected expected;

    private CurrentMessageExpectation(CurrentMessageJobTest.Expected expected) { this.expected = expected; }

    /**
     * A database in {@code fixture}'s server at 856c5b02fb54: {@code chats} seeded chats (production's
     * seeder, the app's later life), the rows and column changed beyond what the app does, and
     * {@code corpusCases} cases of the rule's random corpus.
     */
    public static DatabaseUrl database(PostgresFixture fixture, String name, int chats, int corpusCases) throws Exception {
        return CurrentMessageJobTest.database(fixture, name, "", corpusCases, chats);
    }

    /** What the reference says of the database as it is now (before the run). */
    public static CurrentMessageExpectation of(DatabaseUrl url) throws SQLException {
        return new CurrentMessageExpectation(CurrentMessageJobTest.expected(url));
    }

    /** Every chat's non-null current_message_id now: taken before an online run, for {@link #onFinalTables}. */
    public static Map<String, String> columnValues(DatabaseUrl url) throws SQLException {
        return CurrentMessageJobTest.columnValues(url);
    }

    /**
     * What the reference says of the tables as they are now (after the application's last write), with
     * each chat's column as {@code before} ({@link #columnValues} before the run) says: the tool has written
     * the column since, and upstream, at the cut-over, would see it as it was (the old application never writes it).
     */
    public static CurrentMessageExpectation onFinalTables(DatabaseUrl url, Map<String, String> before) throws SQLException {
        return new CurrentMessageExpectation(CurrentMessageJobTest.expected(url, before));
    }

    /** The online run's capture (triggers, functions, change tables) and its record of the column before the run are gone. */
    public static void assertCaptureRemoved(DatabaseUrl url) throws SQLException {
        CurrentMessageOnlineTest.assertCaptureRemoved(url);
    }

    /** Stamped 9a1b2c3d4e5f, staging dropped, every chat holding the reference's value, each rejection the reference's, once. */
    public void assertExact(DatabaseUrl url) throws SQLException {
        CurrentMessageJobTest.assertExact(url, expected);
    }

    public int chats() { return expected.chats(); }

    public int values() { return expected.values().size(); }

    public int rejections() { return expected.rejections().size(); }
}
