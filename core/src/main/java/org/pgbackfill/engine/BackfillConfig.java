package org.pgbackfill.engine;

import org.pgbackfill.metrics.RunMetrics;
import org.pgbackfill.phase.ProgressListener;

import org.pgbackfill.job.Job;
import org.pgbackfill.job.chatmessage.ChatMessageJob;
import org.pgbackfill.load.LoadPhase;

import java.util.function.Supplier;
import org.pgbackfill.db.DatabaseUrl;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything a run is told. Validated once, in {@link Builder#build()}, then immutable: a bad value
 * fails there with the value and the reason, never half-way through a run.
 */
public final class BackfillConfig {
    public static final String DEFAULT_SCHEMA = "pgbackfill";
    public static final int DEFAULT_RANGES_PER_WORKER = 8;
    public static final int DEFAULT_MAX_TRANSACTION_MB = 32;
    public static final int DEFAULT_MAX_TRANSACTION_ROWS = 50_000;
    public static final int DEFAULT_INLINE_DOCUMENT_MB = 8;
    public static final String DEFAULT_MAINTENANCE_WORK_MEM = "256MB";

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final DatabaseUrl database;
    private final int workers;
    private final int writers;
    private final String schema;
    private final Long nowEpoch;
    private final int rangesPerWorker;
    private final long maxTransactionBytes;
    private final int maxTransactionRows;
    private final int inlineDocumentBytes;
    private final String maintenanceWorkMem;
    private final String lockTimeout;
    private final ProgressListener progress;
    private final boolean restart;
    private final io.micrometer.core.instrument.MeterRegistry meterRegistry;
    private final Mode mode;
    private final long maxRateBytesPerSecond;
    private final double maxReplicationLagSeconds;
    private final int maxActiveSessions;
    private final Supplier<Job> job;
    private final boolean jobFromRevision;

    /**
     * What the run is for: {@code OFFLINE}, the whole backfill with the application stopped;
     * {@code ONLINE}, the backfill while the application keeps writing, kept current by catch-up
     * passes, not stamped; {@code FINISH}, the last step of an online run once the application is
     * stopped: a final catch-up, the stamp, the capture removed.
     */
    public enum Mode { OFFLINE, ONLINE, FINISH }

    private BackfillConfig(Builder b) {
        this.mode = b.mode;
        this.maxRateBytesPerSecond = b.maxRateBytesPerSecond;
        this.maxReplicationLagSeconds = b.maxReplicationLagSeconds;
        this.maxActiveSessions = b.maxActiveSessions;
        this.database = b.database;
        this.workers = b.workers;
        this.writers = b.writers != null ? b.writers : defaultWriters(b.workers);
        this.schema = b.schema;
        this.nowEpoch = b.nowEpoch;
        this.rangesPerWorker = b.rangesPerWorker;
        this.maxTransactionBytes = b.maxTransactionBytes;
        this.maxTransactionRows = b.maxTransactionRows;
        this.inlineDocumentBytes = b.inlineDocumentBytes;
        this.maintenanceWorkMem = b.maintenanceWorkMem;
        this.lockTimeout = b.lockTimeout;
        this.progress = b.progress;
        this.restart = b.restart;
        this.meterRegistry = b.meterRegistry;
        this.job = b.job;
        this.jobFromRevision = b.jobFromRevision;
    }

    /** Whether the job follows from the database's revision (the command line's default) rather than {@link #newJob}. */
    public boolean jobFromRevision() { return jobFromRevision; }

    /** A new instance of the job to run (one per run and process: a job may remember what one phase learnt for a later one). */
    public Job newJob() { return job.get(); }

    public static Builder builder() { return new Builder(); }

    /** The writers a run of {@code workers} gets unless told: half the workers, 1 to 4. */
    public static int defaultWriters(int workers) { return Math.max(1, Math.min(4, (workers + 1) / 2)); }

    /** The plausible range of a run's 'now' (epoch seconds): from 2000-01-01 to 2100-01-01. */
    public static final long EARLIEST_NOW = 946_684_800L, LATEST_NOW = 4_102_444_800L;

    public DatabaseUrl database() { return database; }
    /** Reader threads, each with its own connection, each streaming one range at a time. */
    public int workers() { return workers; }

    /** What the load needs of this configuration. */
    public LoadPhase.Settings loadSettings() {
        return new LoadPhase.Settings(workers, writers, maxTransactionBytes, maxTransactionRows, inlineDocumentBytes);
    }
    /** COPY writer threads, each with its own connection. */
    public int writers() { return writers; }
    /** The schema holding everything the run creates for itself (control and rejection tables). */
    public String schema() { return schema; }
    /** The fixed "now" of SPEC.md section 3, or null for "the run's start". */
    public Long nowEpoch() { return nowEpoch; }
    public int rangesPerWorker() { return rangesPerWorker; }
    public long maxTransactionBytes() { return maxTransactionBytes; }
    public int maxTransactionRows() { return maxTransactionRows; }
    /** Documents up to this size are fetched whole; larger ones are streamed in chunks. */
    public int inlineDocumentBytes() { return inlineDocumentBytes; }
    public String maintenanceWorkMem() { return maintenanceWorkMem; }
    public String lockTimeout() { return lockTimeout; }
    public ProgressListener progress() { return progress; }
    /** Abandon an unfinished run (dropping what it built) and start over, instead of resuming it. */
    public boolean restart() { return restart; }
    /** Where the run's meters go (see {@link RunMetrics#on}); null: nowhere, and nothing is measured. */
    public io.micrometer.core.instrument.MeterRegistry meterRegistry() { return meterRegistry; }
    public Mode mode() { return mode; }
    /** Bytes of documents read per second at most, over all readers of this process; 0: no limit. */
    public long maxRateBytesPerSecond() { return maxRateBytesPerSecond; }
    /** Hold while a standby's replay lag is above this; 0: never. */
    public double maxReplicationLagSeconds() { return maxReplicationLagSeconds; }
    /** Hold while other clients have more active sessions than this; 0: never. */
    public int maxActiveSessions() { return maxActiveSessions; }

    public static final class Builder {
        private DatabaseUrl database;
        private int workers = Math.max(1, Runtime.getRuntime().availableProcessors());
        private Integer writers;   // null: half the workers, 1 to 4
        private String schema = DEFAULT_SCHEMA;
        private Long nowEpoch;
        private int rangesPerWorker = DEFAULT_RANGES_PER_WORKER;
        private long maxTransactionBytes = (long) DEFAULT_MAX_TRANSACTION_MB << 20;
        private int maxTransactionRows = DEFAULT_MAX_TRANSACTION_ROWS;
        private int inlineDocumentBytes = DEFAULT_INLINE_DOCUMENT_MB << 20;
        private String maintenanceWorkMem = DEFAULT_MAINTENANCE_WORK_MEM;
        private String lockTimeout = "10s";
        private ProgressListener progress = ProgressListener.NONE;
        private boolean restart;
        private Mode mode = Mode.OFFLINE;
        private long maxRateBytesPerSecond;
        private double maxReplicationLagSeconds;
        private int maxActiveSessions;
        private Supplier<Job> job = ChatMessageJob::new;
        private boolean jobFromRevision;
        private io.micrometer.core.instrument.MeterRegistry meterRegistry;   // null: RunMetrics.NONE

        public Builder database(DatabaseUrl url) { this.database = url; return this; }
        public Builder databaseUrl(String url) { this.database = DatabaseUrl.parse(url); return this; }
        public Builder workers(int n) { this.workers = n; return this; }
        public Builder writers(int n) { this.writers = n; return this; }
        public Builder schema(String s) { this.schema = s; return this; }
        public Builder nowEpoch(Long epochSeconds) { this.nowEpoch = epochSeconds; return this; }
        public Builder rangesPerWorker(int n) { this.rangesPerWorker = n; return this; }
        public Builder maxTransactionBytes(long n) { this.maxTransactionBytes = n; return this; }
        public Builder maxTransactionRows(int n) { this.maxTransactionRows = n; return this; }
        public Builder inlineDocumentBytes(int n) { this.inlineDocumentBytes = n; return this; }
        public Builder maintenanceWorkMem(String s) { this.maintenanceWorkMem = s; return this; }
        public Builder lockTimeout(String s) { this.lockTimeout = s; return this; }
        public Builder restart(boolean r) { this.restart = r; return this; }
        public Builder mode(Mode m) { this.mode = Objects.requireNonNull(m); return this; }
        public Builder maxRateBytesPerSecond(long n) { this.maxRateBytesPerSecond = n; return this; }
        public Builder maxReplicationLagSeconds(double s) { this.maxReplicationLagSeconds = s; return this; }
        public Builder maxActiveSessions(int n) { this.maxActiveSessions = n; return this; }
        public Builder job(Supplier<Job> j) { this.job = Objects.requireNonNull(j); this.jobFromRevision = false; return this; }
        /** The job of that name ({@link Jobs#names}); an IllegalArgumentException for another name. */
        public Builder job(String name) { return job(Jobs.named(name).factory()); }
        /** The job the database's revision calls for ({@link Jobs}), chosen once connected. */
        public Builder jobFromRevision() { this.jobFromRevision = true; return this; }
        public Builder progress(ProgressListener p) { this.progress = Objects.requireNonNull(p); return this; }
        public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry r) { this.meterRegistry = Objects.requireNonNull(r); return this; }

        public BackfillConfig build() {
            if (database == null) throw new IllegalArgumentException("no database given");
            require(workers >= 1 && workers <= 256, "workers must be between 1 and 256, got " + workers);
            require(writers == null || (writers >= 1 && writers <= 64), "writers must be between 1 and 64, got " + writers);
            require(schema != null && IDENTIFIER.matcher(schema).matches() && !schema.equals("public"),
                "schema must be a lower-case SQL identifier other than public, got '" + schema + "'");
            require(nowEpoch == null || (nowEpoch >= EARLIEST_NOW && nowEpoch <= LATEST_NOW), "now-epoch must be epoch seconds between "
                + EARLIEST_NOW + " (2000-01-01) and " + LATEST_NOW + " (2100-01-01), got " + nowEpoch);
            require(rangesPerWorker >= 1 && rangesPerWorker <= 1000, "ranges per worker must be 1..1000, got " + rangesPerWorker);
            require(maxTransactionBytes >= 1 << 16, "max transaction bytes must be at least 64 KiB, got " + maxTransactionBytes);
            require(maxTransactionRows >= 1, "max transaction rows must be positive, got " + maxTransactionRows);
            require(maxRateBytesPerSecond >= 0, "max rate must not be negative, got " + maxRateBytesPerSecond);
            require(maxReplicationLagSeconds >= 0, "max replication lag must not be negative, got " + maxReplicationLagSeconds);
            require(maxActiveSessions >= 0, "max active sessions must not be negative, got " + maxActiveSessions);
            require(inlineDocumentBytes >= 1024, "inline document bytes must be at least 1024, got " + inlineDocumentBytes);
            return new BackfillConfig(this);
        }

        private static void require(boolean ok, String message) {
            if (!ok) throw new IllegalArgumentException(message);
        }
    }
}
