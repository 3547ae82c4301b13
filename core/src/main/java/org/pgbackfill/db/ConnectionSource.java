package org.pgbackfill.db;

import java.sql.Connection;
import java.sql.SQLException;

/** Where a short task gets a connection it closes itself (the run's pool, in practice). */
@FunctionalInterface
public interface ConnectionSource {
    Connection connection() throws SQLException;
}
