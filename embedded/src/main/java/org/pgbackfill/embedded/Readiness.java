package org.pgbackfill.embedded;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.function.BooleanSupplier;

/**
 * Waits for a postmaster that was just started to accept connections, or says why it will not: it
 * stopped (with the end of what this start wrote to the log, told apart when the port was taken, so
 * that the caller can try another), it did not answer in time, or the caller gave up. A server
 * answers {@code SHOW server_version} only once recovery is over, so this is also how a restart
 * after a crash waits for the recovery.
 */
final class Readiness {
    private Readiness() { }

    /** The server could not bind its port (someone took it after we found it free). */
    static final class PortTakenException extends IOException {
        PortTakenException(String message) { super(message); }
    }

    /** @return the server's {@code server_version} */
    static String await(Process process, ServerAddress url, Path logFile, long logStart, long timeoutMs,
                        BooleanSupplier cancelled) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        SQLException lastError = null;
        while (System.currentTimeMillis() < deadline) {
            if (cancelled.getAsBoolean()) throw new IOException("stopped: the embedded PostgreSQL is being shut down");
            if (!process.isAlive()) {
                String tail = ServerDirectory.tail(logFile, logStart);
                if (tail.contains("could not bind") || tail.contains("Address already in use")
                        || tail.contains("could not create any TCP/IP sockets")) {
                    throw new PortTakenException(tail);
                }
                throw new IOException("the embedded PostgreSQL stopped while starting:\n" + tail);
            }
            try (Connection c = connect(url, 2); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SHOW server_version")) {
                rs.next();
                return rs.getString(1);
            } catch (SQLException e) {
                lastError = e;     // not accepting connections yet
            }
            sleep(100);
        }
        throw new IOException("the embedded PostgreSQL did not accept connections within " + timeoutMs / 1000
            + " s (" + (lastError == null ? "" : lastError.getMessage()) + "):\n" + ServerDirectory.tail(logFile));
    }

    private static Connection connect(ServerAddress u, int timeoutSeconds) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", u.user());
        p.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        p.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
        return DriverManager.getConnection(u.jdbcUrl(), p);
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the embedded PostgreSQL", e);
        }
    }
}
