package org.pgbackfill.schema;

import org.pgbackfill.concurrent.Threads;
import org.pgbackfill.control.Backoff;
import org.pgbackfill.db.SqlStates;
import org.pgbackfill.db.ConnectionSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The build phase: the primary key's index and the seven secondary indexes, several at once on
 * their own connections with a raised {@code maintenance_work_mem}; the index then becomes the
 * primary key; then the foreign key added NOT VALID, rows whose chat vanished deleted, and the
 * key validated (VALIDATE takes only a SHARE UPDATE EXCLUSIVE lock on chat_message and a ROW
 * SHARE lock on chat). Every statement is idempotent, so a build interrupted half-way is finished
 * by running it again.
 */
public final class IndexBuilder {
    /** An index whose build failed because of the data: a shared id (23505) or a value too long for a btree entry (54000). */
    public record Failure(String index, SQLException cause) { }

    /** The eight indexes, name → definition: the primary key's first. */
    public static final List<Index> ALL = java.util.stream.Stream.concat(java.util.stream.Stream.of(TargetSchema.PRIMARY_KEY_INDEX),
        TargetSchema.INDEXES.stream()).toList();

    /** How many indexes are built at once for a run of {@code workers} workers. */
    public static int parallelism(int workers) { return Math.min(Math.max(2, workers), ALL.size()); }

    private final String maintenanceWorkMem;
    private final String lockTimeout;

    public IndexBuilder(String maintenanceWorkMem, String lockTimeout) {
        this.maintenanceWorkMem = maintenanceWorkMem;
        this.lockTimeout = lockTimeout;
    }

    /**
     * Builds the given indexes (of {@link #ALL}), {@code parallel} at a time; returns those that
     * failed because of the data (the caller puts the data right and builds them again). Any other
     * failure is thrown.
     */
    public List<Failure> buildIndexes(ConnectionSource db, int parallel, List<Index> indexes) throws Exception {
        ExecutorService pool = Threads.pool("pgbackfill-index-", parallel);
        try {
            List<Future<Failure>> futures = indexes.stream().map(ix -> pool.submit(() -> {
                try (Connection c = db.connection(); Statement st = c.createStatement()) {
                    st.execute("SET maintenance_work_mem = '" + maintenanceWorkMem + "'");
                    st.execute("SET lock_timeout = '" + lockTimeout + "'");
                    // entries formed from values stored out of line are compressed as upstream's are: with the server's default
                    // (a pooled connection may carry the writers' lz4)
                    st.execute(TargetSchema.defaultToastCompression(false));
                    st.execute(ix.ddlIfNotExists());
                    return null;
                } catch (SQLException e) {
                    if (SqlStates.UNIQUE_VIOLATION.equals(e.getSQLState()) || SqlStates.PROGRAM_LIMIT_EXCEEDED.equals(e.getSQLState())) return new Failure(ix.name(), e);
                    throw e;
                }
            })).toList();
            List<Failure> failed = new java.util.ArrayList<>();
            for (Future<Failure> f : futures) {
                Failure failure = f.get();
                if (failure != null) failed.add(failure);
            }
            return failed;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Makes the unique index on id the primary key, unless it is already (a catalog change, nothing is scanned). */
    public void addPrimaryKey(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET lock_timeout = '" + lockTimeout + "'");
            if (!constraintExists(st, TargetSchema.PRIMARY_KEY_NAME)) st.execute(TargetSchema.ADD_PRIMARY_KEY);
        }
    }

    private static boolean constraintExists(Statement st, String name) throws SQLException {
        try (var rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '" + name
                + "' AND conrelid = 'chat_message'::regclass)")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Adds and validates the foreign key; returns the number of orphaned rows deleted first. */
    public long addForeignKey(Connection c) throws SQLException, InterruptedException {
        return addForeignKey(c, lockTimeout, 1);
    }

    /**
     * The same while the application writes to {@code chat}: adding the key takes a SHARE ROW
     * EXCLUSIVE lock on {@code chat} for a moment, and the application's saves queue behind the
     * waiting statement; so it waits at most {@code addLockTimeout} per try, {@code tries} times.
     */
    public long addForeignKey(Connection c, String addLockTimeout, int tries) throws SQLException, InterruptedException {
        try (Statement st = c.createStatement()) {
            for (int attempt = 1; !constraintExists(st, TargetSchema.FOREIGN_KEY_NAME); attempt++) {
                st.execute("SET lock_timeout = '" + addLockTimeout + "'");
                try {
                    st.execute(TargetSchema.ADD_FOREIGN_KEY);
                } catch (SQLException e) {
                    if (!SqlStates.LOCK_NOT_AVAILABLE.equals(e.getSQLState()) || attempt >= tries) throw e;   // lock_not_available
                    Backoff.LOCK.sleep(attempt);
                }
            }
            st.execute("SET lock_timeout = '" + lockTimeout + "'");
            long orphans = st.executeUpdate("DELETE FROM chat_message cm WHERE NOT EXISTS (SELECT 1 FROM chat c WHERE c.id = cm.chat_id)");
            st.execute(TargetSchema.VALIDATE_FOREIGN_KEY);
            return orphans;
        }
    }
}
