package org.pgbackfill.engine;

import org.pgbackfill.concurrent.Threads;
import org.pgbackfill.phase.IndexProgress;
import org.pgbackfill.phase.ProgressListener;

import org.pgbackfill.db.ConnectionSource;
import org.pgbackfill.schema.IndexBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Tells the progress listener, every second while the indexes are built, how far the build is:
 * indexes done, and for each one the server is building, its step and fraction from
 * {@code pg_stat_progress_create_index} (PostgreSQL 12 and later). Without this a big table's
 * build is minutes of silence. It reads on its own connection and never fails the build: a
 * failed read is logged once and the display just does not move.
 */
final class BuildWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BuildWatch.class);
    // the index's name from the statement's text: CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON …
    private static final String PROGRESS = "SELECT substring(a.query from '(?i)INDEX\\s+(?:CONCURRENTLY\\s+)?(?:IF NOT EXISTS\\s+)?(\\S+)\\s+ON'), p.phase, "
        + "p.blocks_total, p.blocks_done, p.tuples_total, p.tuples_done FROM pg_stat_progress_create_index p "
        + "JOIN pg_stat_activity a USING (pid) WHERE p.relid = to_regclass('chat_message') ORDER BY 1";
    private static final String DONE = "SELECT count(*) FROM pg_index WHERE indrelid = to_regclass('chat_message') AND indisvalid";

    private final ConnectionSource connections;
    private final ProgressListener progress;
    private final ScheduledExecutorService thread = Threads.scheduler("pgbackfill-build-progress");
    private boolean warned;

    private BuildWatch(ConnectionSource connections, ProgressListener progress) {
        this.connections = connections;
        this.progress = progress;
    }

    static BuildWatch start(ConnectionSource connections, ProgressListener progress) {
        BuildWatch w = new BuildWatch(connections, progress);
        w.thread.scheduleWithFixedDelay(w::poll, 0, 1, TimeUnit.SECONDS);
        return w;
    }

    private void poll() {
        // a connection per poll, given back at once: the build's own connections need the pool more
        try (Connection c = connections.connection()) {
            int total = IndexBuilder.ALL.size();
            List<IndexProgress> building = new ArrayList<>();
            long done;
            try (Statement st = c.createStatement()) {
                try (ResultSet rs = st.executeQuery(PROGRESS)) {
                    while (rs.next()) {
                        building.add(IndexProgress.of(rs.getString(1) == null ? "an index" : rs.getString(1), rs.getString(2),
                            rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6)));
                    }
                }
                try (ResultSet rs = st.executeQuery(DONE)) {
                    rs.next();
                    done = rs.getLong(1);
                }
            }
            progress.buildProgress((int) Math.min(done, total), total, building);
        } catch (SQLException | RuntimeException e) {
            if (!warned) log.warn("cannot read the index build's progress (the build goes on): {}", e.getMessage());
            warned = true;
        }
    }

    @Override public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
