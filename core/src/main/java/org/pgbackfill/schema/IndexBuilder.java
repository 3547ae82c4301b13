package org.pgbackfill.schema;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The build phase: the seven secondary indexes, several at once on their own connections with a
 * raised {@code maintenance_work_mem}; then the foreign key added NOT VALID, rows whose chat
 * vanished deleted, and the key validated (VALIDATE takes only a SHARE UPDATE EXCLUSIVE lock on
 * chat_message and a ROW SHARE lock on chat). Every statement is idempotent, so a build
 * interrupted half-way is finished by running it again.
 */
public final class IndexBuilder {
    private final String maintenanceWorkMem;
    private final String lockTimeout;

    public IndexBuilder(String maintenanceWorkMem, String lockTimeout) {
        this.maintenanceWorkMem = maintenanceWorkMem;
        this.lockTimeout = lockTimeout;
    }

    public void buildIndexes(StagingMerge.ConnectionSource db, int parallel) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallel), r -> {
            Thread t = new Thread(r, "pgbackfill-index");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = TargetSchema.INDEXES.stream().<Future<?>>map(ix -> pool.submit(() -> {
                try (Connection c = db.connection(); Statement st = c.createStatement()) {
                    st.execute("SET maintenance_work_mem = '" + maintenanceWorkMem + "'");
                    st.execute("SET lock_timeout = '" + lockTimeout + "'");
                    st.execute(ix[1].replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS "));
                }
                return null;
            })).toList();
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    /** Adds and validates the foreign key; returns the number of orphaned rows deleted first. */
    public long addForeignKey(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET lock_timeout = '" + lockTimeout + "'");
            boolean exists;
            try (var rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '"
                    + TargetSchema.FOREIGN_KEY_NAME + "' AND conrelid = 'chat_message'::regclass)")) {
                rs.next();
                exists = rs.getBoolean(1);
            }
            if (!exists) st.execute(TargetSchema.ADD_FOREIGN_KEY);
            long orphans = st.executeUpdate("DELETE FROM chat_message cm WHERE NOT EXISTS (SELECT 1 FROM chat c WHERE c.id = cm.chat_id)");
            st.execute(TargetSchema.VALIDATE_FOREIGN_KEY);
            return orphans;
        }
    }
}
