package org.pgbackfill.job;

import java.sql.Connection;

/** An online run's record of what the application changes while the job runs (a trigger and a change log, in practice). */
public interface Capture {
    /** Starts capturing changes (at plan, before anything is read). */
    void install(Connection c) throws Exception;

    /** Stops capturing (the stamp, or a restart). */
    void remove(Connection c) throws Exception;

    boolean installed(Connection c) throws Exception;

    /** Changes captured and not yet caught up. */
    long pending(Connection c) throws Exception;
}
