package org.pgbackfill.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The run's connections: one HikariCP pool, sized for the workers, writers and parallel
 * index builds, every connection set up the same way (UTF-8, standard strings, no statement
 * timeout, an application name that shows in {@code pg_stat_activity}).
 */
public final class Database implements AutoCloseable {
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
            + "SET idle_in_transaction_session_timeout = 0; SET lock_timeout = '" + lockTimeout.replace("'", "") + "'");
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
        return java.sql.DriverManager.getConnection(url.jdbcUrl(), p);
    }

    public Connection connection() throws SQLException {
        return pool.getConnection();
    }

    public DatabaseUrl url() { return url; }

    /** Closes a connection whose protocol state is unknown (a failure mid-COPY) instead of returning it to the pool. */
    public void evict(Connection c) {
        pool.evictConnection(c);
    }

    /** Runs statements in autocommit mode on a pooled connection. */
    public void execute(String... sql) throws SQLException {
        try (Connection c = connection(); Statement s = c.createStatement()) {
            for (String q : sql) s.execute(q);
        }
    }

    @Override public void close() { pool.close(); }
}
