package org.pgbackfill.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The run's connections: one HikariCP pool, sized for the workers, writers and parallel
 * index builds, every connection set up the same way (UTF-8, standard strings, no statement
 * timeout, an application name that shows in {@code pg_stat_activity}).
 *
 * <p>Each connection must stay one server session for its whole life ({@link SessionCheck} tests
 * the way in before a run writes anything): it records its backend's pid in a setting of its
 * own when it is made, and every checkout checks that it is still on that backend. At close, the
 * idle connections are reset ({@code DISCARD ALL}: settings, advisory locks, temporary tables)
 * before they are closed, so a session pooler's server sessions go back to the application as
 * they were, even where the pooler resets nothing itself.
 */
public final class Database implements AutoCloseable {
    /** The SQLSTATE (of this tool's own) of a connection found on another backend than the one it was opened on. */
    public static final String SESSION_MOVED = "PB001";

    /** The setting each connection records its backend's pid in. */
    static final String BACKEND = "pgbackfill.backend_pid";

    private final HikariDataSource pool;
    private final DatabaseUrl url;

    /**
     * @param lockTimeout PostgreSQL's lock_timeout for every statement of the run (DDL and all), so the
     *                    run never queues behind the application's locks for long; a step that hits it
     *                    fails with a message and is retried by the next run
     */
    public Database(DatabaseUrl url, int poolSize, String applicationName, io.micrometer.core.instrument.MeterRegistry meters,
                    String lockTimeout) {
        this.url = url;
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url.jdbcUrl());
        c.setDataSourceProperties(url.properties());
        c.addDataSourceProperty("ApplicationName", applicationName);
        c.addDataSourceProperty("reWriteBatchedInserts", "true");
        c.addDataSourceProperty("tcpKeepAlive", "true");
        c.setMaximumPoolSize(poolSize);
        c.setMinimumIdle(0);
        c.setAutoCommit(true);
        c.setPoolName("pgbackfill");
        if (meters != null) c.setMetricsTrackerFactory(new com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory(meters));
        c.setConnectionTimeout(30_000);
        c.setInitializationFailTimeout(-1);   // connect lazily: the first checkout reports the real error
        c.setConnectionInitSql("SET standard_conforming_strings = on; SET statement_timeout = 0; "
            + "SET idle_in_transaction_session_timeout = 0; SET lock_timeout = '" + lockTimeout.replace("'", "") + "'; "
            + "SELECT set_config('" + BACKEND + "', pg_backend_pid()::text, false)");
        this.pool = new HikariDataSource(c);
    }

    /**
     * One connection straight from the driver, bypassing the pool, so that a server that is down or
     * refuses the credentials is reported at once with the driver's own reason (the pool would
     * retry until its timeout and then report only that it timed out).
     */
    public Connection probe() throws SQLException {
        java.util.Properties p = url.properties();
        p.setProperty("connectTimeout", "10");
        p.setProperty("loginTimeout", "15");
        p.setProperty("prepareThreshold", "0");   // nothing named left on a session a pooler may share (SessionCheck)
        return java.sql.DriverManager.getConnection(url.jdbcUrl(), p);
    }

    /** A pooled connection, still on the server session it was made on. */
    public Connection connection() throws SQLException {
        Connection c = pool.getConnection();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('" + BACKEND + "', true), pg_backend_pid()::text")) {
            rs.next();
            if (!rs.getString(2).equals(rs.getString(1))) {
                throw new SQLException("a connection of the run is no longer on the server session it was opened on (backend "
                    + rs.getString(2) + ", opened on " + rs.getString(1) + "): a connection pooler in transaction mode stands "
                    + "between the tool and the server. Connect to PostgreSQL's own port, or pool in session mode", SESSION_MOVED);
            }
            return c;
        } catch (SQLException e) {
            evict(c);
            throw e;
        }
    }

    public DatabaseUrl url() { return url; }

    /** Closes a connection whose protocol state is unknown (a failure mid-COPY) instead of returning it to the pool. */
    public void evict(Connection c) {
        pool.evictConnection(c);
    }

    @Override public void close() {
        List<Connection> idle = new ArrayList<>();
        try {
            pool.getHikariConfigMXBean().setConnectionTimeout(2_000);   // a server that died meanwhile must not hold up the exit
            int n = pool.getHikariPoolMXBean() == null ? 0 : pool.getHikariPoolMXBean().getIdleConnections();
            for (int i = 0; i < n; i++) idle.add(pool.getConnection());
            for (Connection c : idle) {
                try (Statement st = c.createStatement()) {
                    st.execute("DISCARD ALL");
                }
            }
        } catch (SQLException e) {
            // best effort: a direct connection's session ends with it anyway
        } finally {
            for (Connection c : idle) {
                try {
                    c.close();
                } catch (SQLException e) {
                    // closing
                }
            }
            pool.close();
        }
    }

    /** The server's WAL insert position in bytes (WAL written = its difference), or -1 where it cannot be read (a standby). */
    public static long walBytes(Connection c) {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")) {
            return rs.next() ? rs.getLong(1) : -1;
        } catch (SQLException e) {
            return -1;
        }
    }
}
