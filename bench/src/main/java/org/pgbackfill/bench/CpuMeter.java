package org.pgbackfill.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * CPU time, from /proc, to show where a scenario's time went: the PostgreSQL server's (its
 * backends, which the postmaster reaps: its children's user and system time once they exit) and a
 * client process's. Works when the server runs on this machine and the role may read
 * {@code data_directory}; otherwise {@link #server} returns null and the columns stay empty.
 */
final class CpuMeter {
    /** Clock ticks per second of /proc/[pid]/stat times (USER_HZ, 100 on Linux). */
    private static final double HZ = 100.0;

    private final long postmasterPid;

    private CpuMeter(long postmasterPid) { this.postmasterPid = postmasterPid; }

    /** A meter of the server that {@code c} is connected to, or null when it cannot be read from here. */
    static CpuMeter server(Connection c) {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW data_directory")) {
            rs.next();
            String first = Files.readAllLines(Path.of(rs.getString(1), "postmaster.pid")).get(0).trim();
            long pid = Long.parseLong(first);
            return seconds(pid, true) >= 0 ? new CpuMeter(pid) : null;
        } catch (SQLException | IOException | RuntimeException e) {
            return null;
        }
    }

    /** CPU seconds the server's exited backends (and the postmaster) used so far. */
    double serverSeconds() { return seconds(postmasterPid, true); }

    /** CPU seconds process {@code pid} used so far (all threads), or -1. */
    static double processSeconds(long pid) { return seconds(pid, false); }

    private static double seconds(long pid, boolean withChildren) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "pid (comm) ": state is f[0]; utime, stime, cutime, cstime are fields 14..17 of stat, f[11..14] here
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            if (withChildren) ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return ticks / HZ;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
