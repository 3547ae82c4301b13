package org.pgbackfill.engine;

import org.pgbackfill.BackfillException;
import org.pgbackfill.job.DryRunRequest;
import org.pgbackfill.job.Job;
import org.pgbackfill.job.JobEstimate;
import org.pgbackfill.schema.SchemaCheck;
import org.pgbackfill.source.RangePlanner;
import org.pgbackfill.state.ControlTables;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;

/**
 * A dry run (the command line's plan): what a run would do, without doing it. It runs the job's checks, plans the
 * ranges from a sample, and lets the job read a sample of documents for a few seconds as its load
 * would ({@link Job#estimate}: a calibration of how fast this server streams and this machine
 * decides, and of what documents yield), then estimates the duration and the disk the run will
 * need. Everything is read in a READ ONLY transaction: nothing is created or written. The upgrade
 * path's estimates ({@link #pathEstimate}) come from the same calibration.
 */
public final class DryRun {
    /** What a run would look like. */
    public record Estimate(String jobName, RangePlanner.Plan plan, long chats, long storedBytes, JobEstimate job, Disk disk) {

        /** The whole run: the load, then the indexes or the merge. */
        public double totalSeconds() { return job.totalSeconds(); }

        /** On the server: what the job writes there (tables, indexes, WAL); the client only needs its spool. */
        public long serverBytes() { return job.serverBytes(); }

        public String describe(int workers) {
            StringBuilder b = new StringBuilder();
            b.append(String.format("%s: about %d chats to read in chat, %.1f MB stored (compressed)%n", jobName, chats, storedBytes / 1e6));
            b.append(String.format("plan: %d ranges for %d workers%n", plan.ranges().size(), workers));
            for (var r : plan.ranges()) b.append("  ").append(r).append(String.format(", about %.1f MB stored%n", r.estimatedBytes() / 1e6));
            b.append(String.format("calibration: read and decided %d chats (%.1f MB of documents) in %.2f s: %.1f MB/s on one connection%n",
                job.sampledChats(), job.sampledBytes() / 1e6, job.sampledSeconds(), job.bytesPerSecond() / 1e6));
            b.append(job.made());
            b.append(String.format("duration: load about %.0f s with %d workers (if the server scales to them), then the %s about %.0f s: "
                + "about %.0f s in all%n", job.loadSeconds(), workers, job.afterLoad(), job.afterLoadSeconds(), job.totalSeconds()));
            b.append(job.disk());
            b.append(disk.describeServer(serverBytes()));
            b.append(disk.describeSpool());
            b.append("nothing was written: this was a dry run\n");
            return b.toString();
        }
    }

    /**
     * Free space where the run writes. The server's disk is seen only when the server runs on this
     * machine and its data directory is readable from here (PostgreSQL has no SQL function for free
     * space); otherwise it is unknown and the operator is told where to look.
     *
     * @param serverDirectory the data directory, or null when the role may not read it
     * @param serverFree      bytes free there, or -1 when unknown from here
     * @param spoolBytes      spool the run may need on this machine at most: one large document per worker
     */
    public record Disk(String serverDirectory, long serverFree, java.nio.file.Path spoolDirectory, long spoolBytes, long spoolFree) {
        /** Headroom on top of the estimate: estimates are rough, and a full disk stops the server. */
        static final double MARGIN = 1.25;

        public String describeServer(long needed) {
            if (serverFree < 0) {
                return "  free there: unknown from here (PostgreSQL does not report it" + (serverDirectory == null ? "" : "; data directory "
                    + serverDirectory) + "): check with df on the server that at least " + mb(needed * MARGIN) + " are free\n";
            }
            String line = "  free there: " + mb(serverFree) + " (data directory " + serverDirectory + ")\n";
            return serverFree < needed * MARGIN ? line + "WARNING: the server may run out of disk: free at least " + mb(needed * MARGIN)
                + " (the estimate and a margin) before running\n" : line;
        }

        public String describeSpool() {
            String line = "disk on this machine: up to about " + mb(spoolBytes) + " of spool in " + spoolDirectory
                + " (large documents, one per worker, while they are extracted); free there: " + (spoolFree < 0 ? "unknown" : mb(spoolFree)) + "\n";
            return spoolFree >= 0 && spoolFree < spoolBytes * MARGIN ? line + "WARNING: this machine may run out of disk for the spool: "
                + "free space in " + spoolDirectory + ", or point -Djava.io.tmpdir elsewhere\n" : line;
        }

        private static String mb(double bytes) { return String.format("%.1f MB", bytes / 1e6); }
    }

    private DryRun() { }

    /** Free space on the server's disk (when visible from here) and on this machine's spool directory. */
    static Disk disk(Connection c, long largestStoredDocument, int workers, long inlineDocumentBytes) {
        String dir = null;
        long free = -1;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_setting('data_directory')")) {
            if (rs.next()) dir = rs.getString(1);
        } catch (SQLException notAllowed) {
            // pg_read_all_settings is needed to read it; free space stays unknown
        }
        if (dir != null) {
            try {
                java.nio.file.Path p = java.nio.file.Path.of(dir);
                // a directory of that name here is the server's only if the server runs here
                if (java.nio.file.Files.isDirectory(p) && java.nio.file.Files.exists(p.resolve("PG_VERSION"))) {
                    free = java.nio.file.Files.getFileStore(p).getUsableSpace();
                }
            } catch (java.io.IOException | RuntimeException unreadable) {
                free = -1;
            }
        }
        java.nio.file.Path tmp = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
        long spoolFree;
        try {
            spoolFree = java.nio.file.Files.getFileStore(tmp).getUsableSpace();
        } catch (java.io.IOException e) {
            spoolFree = -1;
        }
        // stored (compressed) size times four: about the raw JSON a spooled document takes
        // only documents above the inline limit (BackfillConfig.inlineDocumentBytes) are spooled
        long raw = Math.max(0, largestStoredDocument) * 4;
        long spool = raw <= inlineDocumentBytes ? 0 : raw * Math.max(1, workers);
        return new Disk(dir, free, tmp.resolve("pgbackfill-spool"), spool, spoolFree);
    }

    /** Runs the job's checks and its estimate on {@code c} (which it leaves as it found it). */
    public static Estimate estimate(Connection c, BackfillConfig config, double calibrationSeconds) throws SQLException, BackfillException {
        Job job = Jobs.chosen(c, config, (revision, known) -> { });
        ControlTables control = new ControlTables(config.schema());
        ControlTables.OpenRun open = control.openRun(c);
        SchemaCheck.Facts facts = job.check(c, control, open != null && open.createdTarget());
        return sample(c, config, calibrationSeconds, job, facts.asciiJson(), true);
    }

    /**
     * For the upgrade path: the estimate of the config's job on this database, which may not be at the
     * job's start revision yet (a later step of the path). No check: the path says what to run first.
     */
    public static Estimate pathEstimate(Connection c, BackfillConfig config, double calibrationSeconds) throws SQLException {
        Job job = config.newJob();
        boolean atStart = job.fromRevision().equals(revisionOrNull(c));
        return sample(c, config, calibrationSeconds, job, SchemaCheck.facts(c).asciiJson(), atStart);
    }

    private static String revisionOrNull(Connection c) {
        try {
            return SchemaCheck.revision(c);
        } catch (SQLException | BackfillException e) {
            return null;
        }
    }

    private static Estimate sample(Connection c, BackfillConfig config, double calibrationSeconds, Job job, boolean asciiJson,
                                   boolean atStart) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            RangePlanner.Plan plan = new RangePlanner(config.workers() * config.rangesPerWorker(), Backfill.MAX_RANGE_BYTES, job.scope()).plan(c);
            long now = config.nowEpoch() != null ? config.nowEpoch() : Instant.now().getEpochSecond();
            JobEstimate estimate = job.estimate(c, new DryRunRequest(plan, config.workers(), calibrationSeconds, now,
                config.inlineDocumentBytes(), asciiJson, atStart));
            long largest;
            try (ResultSet rs = st.executeQuery("SELECT coalesce(max(pg_column_size(chat)), 0) FROM chat TABLESAMPLE SYSTEM (5) REPEATABLE (7)")) {
                rs.next();
                largest = rs.getLong(1);
            }
            Disk disk = disk(c, largest, config.workers(), config.inlineDocumentBytes());
            return new Estimate(job.name(), plan, Math.max(plan.estimatedChats(), estimate.sampledChats()), plan.estimatedBytes(), estimate, disk);
        } finally {
            c.rollback();
            c.setAutoCommit(auto);
        }
    }
}
