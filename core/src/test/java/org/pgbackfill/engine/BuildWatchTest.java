package org.pgbackfill.engine;

import org.pgbackfill.phase.IndexProgress;
import org.pgbackfill.phase.ProgressListener;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #14: the build showed nothing until done. The watch reads the server's
 * pg_stat_progress_create_index: an index being built shows with its name and the server's step,
 * a finished one counts as done. An index build held back by an open transaction (CONCURRENTLY
 * waits for it) stands still long enough to be seen.
 */
class BuildWatchTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    record Seen(int done, int total, List<IndexProgress> building) { }

    @Test
    void showsTheIndexTheServerIsBuildingAndCountsTheDoneOnes() throws Exception {
        DatabaseUrl url = pg.createDatabase("buildwatch", "");
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE chat_message (id text, chat_id text)");
            st.execute("INSERT INTO chat_message SELECT g::text, g::text FROM generate_series(1, 1000) g");
            st.execute("CREATE INDEX chat_message_chat_id_idx ON chat_message (chat_id)");
        }
        List<Seen> seen = new CopyOnWriteArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override public void buildProgress(int done, int total, List<IndexProgress> building) { seen.add(new Seen(done, total, building)); }
        };
        try (Connection holder = PostgresFixture.connect(url); Statement hold = holder.createStatement()) {
            holder.setAutoCommit(false);
            hold.execute("INSERT INTO chat_message VALUES ('x', 'x')");   // an open writer: CONCURRENTLY waits for it
            CompletableFuture<Void> build = CompletableFuture.runAsync(() -> {
                try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
                    st.execute("CREATE INDEX CONCURRENTLY chat_message_id_idx ON chat_message (id)");
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (BuildWatch watch = BuildWatch.start(() -> PostgresFixture.connect(url), listener)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                // the server reports "initializing" for a moment, then waits for the open writer
                while (seen.stream().noneMatch(BuildWatchTest::waiting) && System.nanoTime() < deadline) Thread.sleep(100);
                holder.commit();
                build.get(20, TimeUnit.SECONDS);
                int before = seen.size();
                while (seen.size() < before + 2) Thread.sleep(100);
            }
        }
        Seen building = seen.stream().filter(BuildWatchTest::waiting).findFirst().orElseThrow(() -> new AssertionError(seen.toString()));
        assertEquals("chat_message_id_idx", building.building().get(0).index(), seen.toString());
        assertEquals(1, building.done(), "the index made before counts as done: " + building);
        assertEquals(8, building.total());
        Seen last = seen.get(seen.size() - 1);
        assertEquals(2, last.done(), "the new index counts as done once built: " + last);
        assertTrue(last.building().isEmpty(), last.toString());
    }

    private static boolean waiting(Seen s) {
        return !s.building().isEmpty() && s.building().get(0).step().startsWith("waiting for");
    }
}
