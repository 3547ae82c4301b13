package org.pgbackfill.seed;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Fills Open WebUI's {@code chat} table with generated chats, fast.
 *
 * <p>One generator thread encodes rows in COPY's binary format into 1 MiB chunks; one loader
 * thread per connection streams them to PostgreSQL with pgjdbc's {@code CopyIn}. Generation and
 * loading overlap, a few MiB per connection are in flight, and a document is never held twice (a
 * 40 MB document crosses in 1 MiB pieces). Binary format, because {@code json}'s binary form is its
 * text: documents go out as generated, with no escaping pass.
 *
 * <p>Why several connections: with the default {@code pglz} TOAST compression, PostgreSQL spends
 * most of a COPY compressing documents, on one core per backend (about 40 MB/s of documents on a
 * 2-core VM, whatever the client does). Rows are dealt to the connections in runs of about 4 MiB
 * from the one generator, so the data set is the same whatever the number of connections; only
 * the physical row order differs.
 *
 * <p>Each connection's rows go in COPY statements of about {@link #copyBatchBytes} each. In
 * autocommit mode each statement commits on its own, so an interrupted seed keeps what it loaded;
 * otherwise the caller commits (one connection only). Connections belong to the caller and are
 * left open.
 */
public final class ChatSeeder {
    /** The Open WebUI schema at revision 374d2f66af06, as a classpath resource. */
    public static final String SCHEMA_RESOURCE = "/org/pgbackfill/sql/openwebui-374d2f66af06.sql";
    static final String COPY_SQL =
        "COPY chat (id, user_id, title, created_at, updated_at, archived, chat, pinned, meta) FROM STDIN (FORMAT binary)";


    /** Told about progress; called from loader threads, so it must be thread-safe and quick. */
    @FunctionalInterface
    public interface Progress {
        void loaded(long chats, long documentBytes);
    }

    private final GeneratorOptions options;
    private long copyBatchBytes = 256L << 20;
    private Progress progress = (c, b) -> { };

    public ChatSeeder(GeneratorOptions options) {
        this.options = Objects.requireNonNull(options);
    }

    /** Bytes per COPY statement and connection (default 256 MiB); a statement always ends on a row boundary. */
    public ChatSeeder copyBatchBytes(long bytes) {
        if (bytes < CopyChunk.SIZE) throw new IllegalArgumentException("COPY batch must be at least 1 MiB, got " + bytes);
        this.copyBatchBytes = bytes;
        return this;
    }

    public ChatSeeder progress(Progress p) {
        this.progress = Objects.requireNonNull(p);
        return this;
    }

    /**
     * Creates Open WebUI's {@code chat} and {@code alembic_version} tables (at revision
     * 374d2f66af06) in the connection's current schema unless {@code chat} exists.
     *
     * @return true when the schema was created
     */
    public static boolean createSchemaIfAbsent(Connection c) throws SQLException {
        boolean chat, alembic;
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT to_regclass('chat') IS NOT NULL, to_regclass('alembic_version') IS NOT NULL")) {
            rs.next();
            chat = rs.getBoolean(1);
            alembic = rs.getBoolean(2);
        }
        if (chat) return false;
        if (alembic) {
            throw new SQLException("the database has an alembic_version table but no chat table: it is not an Open WebUI "
                + "database at revision 374d2f66af06; seed an empty database instead");
        }
        try (Statement s = c.createStatement()) {
            s.execute(schemaSql());
        }
        return true;
    }

    /** The text of {@link #SCHEMA_RESOURCE}. */
    public static String schemaSql() {
        try (InputStream in = ChatSeeder.class.getResourceAsStream(SCHEMA_RESOURCE)) {
            if (in == null) throw new IllegalStateException("classpath resource " + SCHEMA_RESOURCE + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + SCHEMA_RESOURCE, e);
        }
    }

    /** {@link #seed(List)} over one connection. */
    public SeedReport seed(Connection connection) throws SQLException {
        return seed(List.of(connection));
    }

    /**
     * Creates the schema when absent (on the first connection), then loads chats until
     * {@link GeneratorOptions#chats()} chats or {@link GeneratorOptions#targetBytes()} bytes of
     * documents were generated, with one COPY stream per connection (all to the same database).
     * With more than one connection, all must be in autocommit mode.
     */
    public SeedReport seed(List<Connection> connections) throws SQLException {
        if (connections.isEmpty()) throw new IllegalArgumentException("no connection given");
        if (connections.size() > 1) {
            for (Connection c : connections) {
                if (!c.getAutoCommit()) {
                    throw new IllegalArgumentException("seeding over " + connections.size()
                        + " connections needs them all in autocommit mode (each COPY commits on its own)");
                }
            }
        }
        createSchemaIfAbsent(connections.get(0));
        List<CopyManager> copyApis = new ArrayList<>();
        for (Connection c : connections) copyApis.add(c.unwrap(PGConnection.class).getCopyAPI());

        long t0 = System.nanoTime();
        int n = connections.size();
        SeedPipeline p = new SeedPipeline(new ChatGenerator(options), n, copyBatchBytes);
        SeedLoader[] loaders = new SeedLoader[n];
        List<Thread> threads = new ArrayList<>();
        Thread producer = new Thread(p::produce, "pgbackfill-seed-generator");
        producer.setDaemon(true);
        threads.add(producer);
        for (int i = 0; i < n; i++) {
            loaders[i] = new SeedLoader(p, i, copyApis.get(i), progress);
            Thread t = new Thread(loaders[i], "pgbackfill-seed-copy-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        try {
            for (Thread t : threads) t.join();
        } catch (InterruptedException e) {
            p.fail(e);
            threads.forEach(Thread::interrupt);
            Thread.currentThread().interrupt();
        }
        Throwable error = p.error.get();
        if (error instanceof SQLException se) throw se;
        if (error != null) throw new SQLException("seeding failed: " + error, error);

        long rows = 0, sent = 0, docBytes = 0, copyBytes = 0;
        int copies = 0;
        for (SeedLoader l : loaders) {
            rows += l.rowsLoaded;
            sent += l.rowsSent;
            docBytes += l.documentBytes;
            copyBytes += l.copyBytes;
            copies += l.copies;
        }
        if (rows != sent) throw new SQLException("COPY reported " + rows + " rows loaded but " + sent + " chats were sent");
        return new SeedReport(rows, docBytes, copyBytes, copies, (System.nanoTime() - t0) / 1e9);
    }
}
