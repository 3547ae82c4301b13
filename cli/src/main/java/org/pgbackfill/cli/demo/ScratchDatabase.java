package org.pgbackfill.cli.demo;

import org.pgbackfill.db.DatabaseUrl;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;

/**
 * A database of the demo's own on a server it was given: {@code pgbackfill_demo_} and 8 random
 * hex digits, created by {@link #create}, dropped by {@link #close()} (unless {@link #keep}) and by
 * a shutdown hook if the JVM ends first (Ctrl-C). It never touches another database.
 */
public final class ScratchDatabase implements AutoCloseable {
    /** Every scratch database's name starts with this. */
    public static final String PREFIX = "pgbackfill_demo_";

    private final DatabaseUrl admin;
    private final String name;
    private final DatabaseUrl url;
    private final Thread hook = new Thread(this::drop, "pgbackfill-demo-drop-database");
    private volatile boolean keep;
    private volatile String dropError;
    private boolean created;
    private boolean dropped;

    private ScratchDatabase(DatabaseUrl admin, String name) {
        this.admin = admin;
        this.name = name;
        this.url = admin.withDatabase(name);
    }

    /**
     * Creates a new database on {@code admin}'s server, connecting to {@code admin}'s database.
     *
     * @throws SQLException when the server cannot be reached or the user may not CREATE DATABASE
     */
    public static ScratchDatabase create(DatabaseUrl admin) throws SQLException {
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        ScratchDatabase db = new ScratchDatabase(admin, PREFIX + HexFormat.of().formatHex(random));
        try (Connection c = connect(admin); Statement s = c.createStatement()) {
            Runtime.getRuntime().addShutdownHook(db.hook);
            try {
                s.execute("CREATE DATABASE " + db.name);
            } catch (SQLException e) {
                db.close();
                throw e;
            }
            synchronized (db) {
                db.created = true;
            }
        }
        return db;
    }

    public String name() { return name; }

    /** The scratch database's address (the admin URL's user and password). */
    public DatabaseUrl url() { return url; }

    /** With {@code true}, {@link #close()} leaves the database in place. */
    public void keep(boolean keep) { this.keep = keep; }

    public boolean kept() { return keep; }

    /** Why the drop failed, or null. */
    public String dropError() { return dropError; }

    /** Drops the database (ending any session still in it) unless kept. Never throws; see {@link #dropError()}. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook drops it
        }
        drop();
    }

    private synchronized void drop() {
        if (!created || dropped || keep) return;
        dropped = true;
        try (Connection c = connect(admin); Statement s = c.createStatement()) {
            try {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");         // PostgreSQL 13 and later
            } catch (SQLException e) {
                if (!"42601".equals(e.getSQLState())) throw e;                          // older: end the sessions first
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
                s.execute("DROP DATABASE IF EXISTS " + name);
            }
        } catch (SQLException e) {
            dropError = e.getMessage();
        }
    }

    private static Connection connect(DatabaseUrl url) throws SQLException {
        java.util.Properties p = url.properties();
        p.setProperty("ApplicationName", "pgbackfill demo");
        return DriverManager.getConnection(url.jdbcUrl(), p);
    }
}
