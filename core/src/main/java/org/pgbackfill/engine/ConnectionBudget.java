package org.pgbackfill.engine;

import org.pgbackfill.schema.IndexBuilder;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The connections a run may open, against what the server, the role and the database leave free.
 * The run's pool is capped at {@link #needed}: during the load, one per reader and per writer and
 * {@link #LOAD_EXTRA} more (claims and lease renewals while a reader or writer holds its own, the
 * hold monitor, the meters, the run lock); during the build, the parallel index builds and
 * {@link #BUILD_EXTRA} more. A superuser is bound by neither the role's nor the database's limit.
 * Other roles' sessions count even where pg_stat_activity hides their details.
 *
 * @param needed        connections this run may open
 * @param serverFree    {@code max_connections} less the reserved slots and the client sessions open now
 * @param roleFree      the role's {@code CONNECTION LIMIT} less its sessions now, or -1 (no limit)
 * @param databaseFree  the database's {@code CONNECTION LIMIT} less its sessions now, or -1 (no limit)
 */
public record ConnectionBudget(int needed, int serverFree, int roleFree, int databaseFree, String role, String database) {
    static final int LOAD_EXTRA = 8, BUILD_EXTRA = 3;

    /** The most connections a run with these workers and writers has open at once. */
    public static int needed(int workers, int writers) {
        return Math.max(workers + writers + LOAD_EXTRA, IndexBuilder.parallelism(workers) + BUILD_EXTRA);
    }

    /** Reads what the server, the role and the database leave free now. */
    public static ConnectionBudget read(Connection c, int workers, int writers) throws SQLException {
        // a client session: backend_type 'client backend', or hidden (NULL) but with a user, as other roles' are without pg_read_all_stats
        String client = "(backend_type = 'client backend' OR (backend_type IS NULL AND usesysid IS NOT NULL))";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("WITH me AS (SELECT rolsuper FROM pg_roles "
                + "WHERE rolname = current_user) SELECT current_setting('max_connections')::int "
                + "- CASE WHEN (SELECT rolsuper FROM me) THEN 0 ELSE current_setting('superuser_reserved_connections')::int "
                + "  + coalesce(nullif(current_setting('reserved_connections', true), '')::int, 0) END "
                + "- (SELECT count(*) FROM pg_stat_activity WHERE " + client + "), "
                + "(SELECT CASE WHEN rolconnlimit < 0 OR rolsuper THEN -1 ELSE rolconnlimit - (SELECT count(*) FROM pg_stat_activity "
                + "  WHERE usename = current_user AND " + client + ") END FROM pg_roles WHERE rolname = current_user), "
                + "(SELECT CASE WHEN datconnlimit < 0 OR (SELECT rolsuper FROM me) THEN -1 ELSE datconnlimit - (SELECT count(*) "
                + "  FROM pg_stat_activity WHERE datname = current_database() AND " + client + ") END FROM pg_database "
                + "  WHERE datname = current_database()), current_user, current_database()")) {
            rs.next();
            // the session reading this is one of those counted, and is closed before the run opens its pool
            return new ConnectionBudget(needed(workers, writers), rs.getInt(1) + 1, plusOne(rs.getInt(2)), plusOne(rs.getInt(3)),
                rs.getString(4), rs.getString(5));
        }
    }

    private static int plusOne(int free) { return free < 0 ? -1 : free + 1; }

    /** The fewest connections free among the three limits. */
    public int available() {
        int a = serverFree;
        if (roleFree >= 0) a = Math.min(a, roleFree);
        if (databaseFree >= 0) a = Math.min(a, databaseFree);
        return a;
    }

    public boolean fits() { return needed <= available(); }

    /** The largest number of workers (with the default writers for it) that fits, or 0 when not even one does. */
    public int largestWorkersThatFit() {
        for (int w = 256; w >= 1; w--) {
            if (needed(w, BackfillConfig.defaultWriters(w)) <= available()) return w;
        }
        return 0;
    }

    /** For people: what is needed, what each limit leaves, and which limit binds. */
    public String describe() {
        return "up to " + needed + " connections at once; free now: " + serverFree + " on the server"
            + (roleFree >= 0 ? ", " + roleFree + " for role '" + role + "'" : "")
            + (databaseFree >= 0 ? ", " + databaseFree + " for database '" + database + "'" : "");
    }

    /** Why the run cannot start with these workers, and how many can. */
    String refusal(int workers) {
        int fit = largestWorkersThatFit();
        return workers + " workers need " + describe() + ". Nothing was written; "
            + (fit > 0 ? "run with at most " + fit + " workers (and the default writers), or free connections"
                : "not even one worker fits: free connections or raise the limit");
    }
}
