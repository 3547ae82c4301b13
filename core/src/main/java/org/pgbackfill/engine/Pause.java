package org.pgbackfill.engine;

import org.pgbackfill.state.ControlTables;

import java.sql.Connection;
import java.sql.SQLException;

/** Holding or releasing the unfinished run from any machine: every process of it checks the flag each second. */
public final class Pause {
    private Pause() { }

    /** Sets the flag on the unfinished run in {@code schema}; returns its id, or -1 when there is none. */
    public static long set(Connection c, String schema, boolean paused) throws SQLException {
        return new ControlTables(schema).setPaused(c, paused);
    }
}
