package org.pgbackfill.embedded;

/**
 * Where one database of the embedded server is, as plain values: the server listens on {@code
 * host:port} (127.0.0.1) and trusts {@code user} without a password. This module knows nothing of
 * the tool's own URL type; a caller that wants one parses {@link #url()} (core's {@code
 * DatabaseUrl.parse(address.url())}).
 */
public record ServerAddress(String host, int port, String user, String database) {
    /** {@code jdbc:postgresql://host:port/database}, without the user (pass it as the {@code user} property). */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** {@code postgresql://user@host:port/database}: libpq's form, what psql takes. No password: there is none. */
    public String url() {
        return "postgresql://" + user + "@" + host + ":" + port + "/" + database;
    }

    /** The same server and user, another database. */
    public ServerAddress withDatabase(String other) {
        return new ServerAddress(host, port, user, other);
    }

    @Override
    public String toString() { return url(); }
}
