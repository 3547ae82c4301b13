package org.pgbackfill.cli;

import org.pgbackfill.BackfillException.Kind;
import org.pgbackfill.cli.demo.ScratchDatabase;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.embedded.EmbeddedServer;

import java.io.IOException;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * Where the demo's database lives, and what removes it: its own embedded PostgreSQL, or a scratch
 * database on a server it was given. Either says, as it closes, what it removed or how to reach
 * what it kept.
 */
interface DemoDatabase extends AutoCloseable {
    DatabaseUrl url();

    /** Keep the data at close, and say how to reach it. */
    void keep(boolean keep);

    @Override void close();


    /** Its own PostgreSQL, started now, with {@code database} created in it. */
    static DemoDatabase embedded(String osUser, Map<String, String> settings, String database, PrintStream out) throws DemoFailure {
        say(out, "starting an embedded PostgreSQL (no --database-url given)");
        EmbeddedServer server;
        try {
            server = EmbeddedServer.start(null, osUser, settings, line -> say(out, line));
        } catch (IOException e) {
            throw new DemoFailure(ExitCodes.of(Kind.CANNOT_CONNECT), "could not start the embedded PostgreSQL: " + e.getMessage()
                + (e.getMessage() != null && e.getMessage().contains("root") ? "\n(As root, the server runs as the account --os-user names.)" : "")
                + "\nRun the demo against a server of yours instead: pgbackfill demo --database-url postgresql://user@host:5432/postgres (password from ~/.pgpass)");
        }
        try (Connection c = connect(DatabaseUrl.parse(server.adminUrl().url())); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        } catch (SQLException e) {
            server.close();
            throw DemoFailure.of(e, "creating database " + database + " on the embedded PostgreSQL failed");
        }
        DatabaseUrl url = DatabaseUrl.parse(server.url(database).url());   // core's type, for the run
        return new DemoDatabase() {
            private boolean kept;

            @Override public DatabaseUrl url() { return url; }

            @Override public void keep(boolean keep) {
                kept = keep;
                server.keepFiles(keep);
            }

            @Override public void close() {
                server.close();
                if (kept) {
                    say(out, "kept the embedded server's files in " + server.directory() + " (the server is stopped). To look:");
                    out.println("  start it:  " + server.restartCommand());
                    out.println("  connect:   psql \"" + url + "\"   (any PostgreSQL client; no password)");
                    out.println("  look:      SELECT reason, count(*) FROM pgbackfill.rejected_message GROUP BY reason;");
                    out.println("  stop it:   " + server.stopCommand());
                    out.println("  remove:    rm -rf " + server.directory());
                } else {
                    say(out, "stopped the embedded PostgreSQL and deleted " + server.directory());
                }
            }
        };
    }

    /** A new database of its own on the server {@code admin} names. */
    static DemoDatabase scratch(DatabaseUrl admin, PrintStream out, PrintStream err) throws DemoFailure {
        ScratchDatabase db;
        try {
            db = ScratchDatabase.create(admin);
        } catch (SQLException e) {
            throw DemoFailure.of(e, "creating a scratch database on " + admin + " failed"
                + ("42501".equals(e.getSQLState()) ? " (the user must be allowed to CREATE DATABASE)" : ""));
        }
        say(out, "working in the new database " + db.name() + " on " + admin);
        return new DemoDatabase() {
            @Override public DatabaseUrl url() { return db.url(); }

            @Override public void keep(boolean keep) { db.keep(keep); }

            @Override public void close() {
                db.close();
                if (db.kept()) {
                    say(out, "kept the database " + db.name() + ": " + db.url());
                    out.println("  look:          SELECT reason, count(*) FROM pgbackfill.rejected_message GROUP BY reason;");
                    out.println("  drop it with:  DROP DATABASE " + db.name() + ";");
                } else if (db.dropError() == null) {
                    say(out, "dropped the database " + db.name());
                } else {
                    err.println("pgbackfill demo: could not drop the database " + db.name() + ": " + db.dropError()
                        + "; drop it yourself: DROP DATABASE " + db.name() + ";");
                }
            }
        };
    }

    /** A line of the demo's own, as every one of them starts. */
    static void say(PrintStream out, String line) {
        out.println("pgbackfill demo: " + line);
        out.flush();
    }

    /** A connection named for the demo (as pg_stat_activity shows it). */
    static Connection connect(DatabaseUrl url) throws SQLException {
        java.util.Properties p = url.properties();
        p.setProperty("ApplicationName", "pgbackfill demo");
        return DriverManager.getConnection(url.jdbcUrl(), p);
    }
}
