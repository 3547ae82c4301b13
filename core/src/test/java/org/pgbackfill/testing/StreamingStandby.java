package org.pgbackfill.testing;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.embedded.EmbeddedServer;
import org.pgbackfill.engine.RunStatus;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.function.DoublePredicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A primary and a real streaming standby of it, both embedded servers of their own (not the suite's
 * shared one, which is never stopped for this): {@link EmbeddedServer#startStandby} copies the
 * primary's data directory while it is stopped, as pg_basebackup would (the embedded binaries have
 * no pg_basebackup). For the replication-lag hold: {@link #pauseReplay()} stops the standby
 * applying WAL while it keeps receiving it, so that the primary's pg_stat_replication shows a real
 * replay lag, growing while the primary writes; {@link #resumeReplay()} lets it catch up.
 *
 * <pre>
 * &#64;BeforeAll static void start() throws Exception { servers = StreamingStandby.start(); }
 * DatabaseUrl url = servers.createDatabase("lag");   // on the primary; the standby follows
 * </pre>
 *
 * <p>The standby reports its positions every second ({@code wal_receiver_status_interval = 1}, not
 * the default 10 s): the lag the primary shows moves only when it does. The major version is the
 * binaries' ({@code -Dpostgres.major}), checked as {@link PostgresFixture} checks its server's.
 */
public final class StreamingStandby implements AutoCloseable {
    private static final Map<String, String> PRIMARY = Map.of("fsync", "off", "max_connections", "60", "wal_level", "replica",
        "max_wal_senders", "4", "max_wal_size", "1GB", "log_min_messages", "warning");
    private static final Map<String, String> STANDBY = Map.of("hot_standby", "on", "wal_receiver_status_interval", "1");

    private final EmbeddedServer primary;
    private final EmbeddedServer standby;

    private StreamingStandby(EmbeddedServer primary, EmbeddedServer standby) {
        this.primary = primary;
        this.standby = standby;
    }

    /** Starts a primary, then its standby; fails (it does not skip) when either cannot be had. */
    public static StreamingStandby start() throws IOException, SQLException, InterruptedException {
        EmbeddedServer primary = EmbeddedServer.start(null, "nobody", PRIMARY, line -> System.out.println("[primary] " + line));
        try {
            String major = System.getProperty("pgbackfill.test.postgres.binaries", "").replaceAll("\\..*", "");
            if (!major.isEmpty() && !primary.version().startsWith(major + ".")) {
                throw new IOException("the binaries on the classpath are PostgreSQL " + primary.version() + ", not " + major);
            }
            EmbeddedServer standby = EmbeddedServer.startStandby(primary, STANDBY, line -> System.out.println("[standby] " + line));
            StreamingStandby servers = new StreamingStandby(primary, standby);
            try {
                servers.awaitStreaming();
                return servers;
            } catch (SQLException | InterruptedException | RuntimeException e) {
                standby.close();
                throw e;
            }
        } catch (IOException | SQLException | InterruptedException | RuntimeException e) {
            primary.close();
            throw e;
        }
    }

    /** A new database on the primary (the standby replays its creation). */
    public DatabaseUrl createDatabase(String name) throws SQLException {
        try (Connection c = connectPrimary("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE \"" + name + "\"");
        }
        return primaryUrl(name);
    }

    public DatabaseUrl primaryUrl(String database) {
        return DatabaseUrl.parse(primary.url(database).url());
    }

    public DatabaseUrl standbyUrl(String database) {
        return DatabaseUrl.parse(standby.url(database).url());
    }

    public Connection connectPrimary(String database) throws SQLException {
        return PostgresFixture.connect(primaryUrl(database));
    }

    public Connection connectStandby(String database) throws SQLException {
        return PostgresFixture.connect(standbyUrl(database));
    }

    /** The servers' {@code server_version}, e.g. {@code 18.4}. */
    public String version() { return primary.version(); }

    /** The standby stops applying WAL (it still receives and keeps it). */
    public void pauseReplay() throws SQLException {
        try (Connection c = connectStandby("postgres"); Statement st = c.createStatement()) {
            st.execute("SELECT pg_wal_replay_pause()");
        }
    }

    /** The standby applies WAL again, from where it paused. */
    public void resumeReplay() throws SQLException {
        try (Connection c = connectStandby("postgres"); Statement st = c.createStatement()) {
            st.execute("SELECT pg_wal_replay_resume()");
        }
    }

    /** Waits until the standby has replayed all the WAL the primary had written when this was called. */
    public void awaitReplayed(long timeoutMs) throws SQLException, InterruptedException {
        String target;
        try (Connection c = connectPrimary("postgres"); Statement st = c.createStatement()) {
            target = single(st, "SELECT pg_current_wal_lsn()::text");
        }
        try (Connection c = connectStandby("postgres"); var ps = c.prepareStatement("SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn")) {
            ps.setString(1, target);
            await(timeoutMs, () -> "the standby to replay the primary's WAL up to " + target, () -> {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            });
        }
    }

    /** Waits until {@code lag} (a reading of the primary's replay lag, in seconds) satisfies {@code ok}; returns that reading. */
    public static double awaitLag(long timeoutMs, String what, SqlDouble lag, DoublePredicate ok) throws SQLException, InterruptedException {
        double[] last = {Double.NaN};
        await(timeoutMs, () -> what + " (the last reading: " + last[0] + " s)", () -> ok.test(last[0] = lag.read()));
        return last[0];
    }

    /** A reading that may fail with the database. */
    public interface SqlDouble { double read() throws SQLException; }

    /** The work a run has done so far (rows loaded, values staged), read from the database. */
    public interface SqlCount { long read() throws Exception; }

    /** What a run showed while the standby lagged: the lag its status gave, and its work done, which stayed put. */
    public record Held(double lag, long done) { }

    /**
     * The hold of a run on the primary, seen through its status: pauses the standby's replay, waits
     * (30 s at most) until the status says the run holds for a replication lag above {@code limit}
     * (the lag the primary reports, to a tenth), then checks that {@code done} stays put for 2.5 s,
     * after 2 s in which the writers commit what was read before the hold, and that the run waits.
     */
    public Held pauseAndAwaitHold(Connection c, Future<?> run, double limit, SqlCount done, String what) throws Exception {
        Pattern held = Pattern.compile("held: replication lag (\\d+\\.\\d) s is above the limit of "
            + Pattern.quote(String.format(Locale.ROOT, "%.1f", limit)) + " s");
        pauseReplay();
        long deadline = System.nanoTime() + 30_000_000_000L;
        Matcher m;
        while (!(m = held.matcher(status(c))).find()) {
            assertTrue(System.nanoTime() < deadline, "not held 30 s after the standby's replay paused: " + status(c));
            assertFalse(run.isDone(), "the run finished before the hold came");
            Thread.sleep(100);
        }
        double lag = Double.parseDouble(m.group(1));
        assertTrue(lag >= limit, "the lag read from pg_stat_replication (above the limit, to a tenth): " + lag);
        Thread.sleep(2_000);   // the writers commit what was read before the hold (an idle writer within a second)
        long before = done.read();
        Thread.sleep(2_500);
        assertEquals(before, done.read(), "no " + what + " move while the standby lags");
        assertTrue(status(c).contains("held: replication lag"), status(c));
        assertFalse(run.isDone(), "the run waits");
        return new Held(lag, before);
    }

    /** The run's status on the primary, as {@code pgbackfill status} words it. */
    public static String status(Connection c) throws SQLException {
        return RunStatus.read(c, "pgbackfill").describe();
    }

    private interface SqlCondition { boolean holds() throws SQLException; }

    private static void await(long timeoutMs, Supplier<String> what, SqlCondition condition) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) throw new AssertionError("waited " + timeoutMs / 1000 + " s for " + what.get());
            Thread.sleep(100);
        }
    }

    private void awaitStreaming() throws SQLException, InterruptedException {
        try (Connection c = connectPrimary("postgres"); var ps = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_replication WHERE application_name = ? AND state = 'streaming'")) {
            ps.setString(1, EmbeddedServer.STANDBY_NAME);
            await(30_000, () -> "the standby to stream from the primary", () -> {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1) == 1;
                }
            });
        }
    }

    private static String single(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Stops the standby, then the primary, and deletes both directories. */
    @Override
    public void close() {
        standby.close();
        primary.close();
    }
}
