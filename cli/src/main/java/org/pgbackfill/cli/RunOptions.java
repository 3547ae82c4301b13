package org.pgbackfill.cli;

import org.pgbackfill.engine.BackfillConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options {@code run} and {@code finish} share: where, how many, how big, how gently. */
final class RunOptions {
    @Option(names = "--database-url", defaultValue = "${env:DATABASE_URL}",
        description = "postgresql://user:pass@host:port/db (Open WebUI's DATABASE_URL) or a JDBC URL. Default: $DATABASE_URL.")
    String databaseUrl;

    @Option(names = "--workers", defaultValue = "${env:PGBACKFILL_WORKERS}",
        description = "Reader threads, one connection each (default: the number of CPU cores). Env: PGBACKFILL_WORKERS.")
    Integer workers;

    @Option(names = "--writers", defaultValue = "${env:PGBACKFILL_WRITERS}",
        description = "COPY writer threads, one connection each, 1 to 64 (default: half the workers, 1 to 4). Env: PGBACKFILL_WRITERS.")
    Integer writers;

    @Option(names = "--schema", defaultValue = "${env:PGBACKFILL_SCHEMA:-" + BackfillConfig.DEFAULT_SCHEMA + "}",
        description = "Schema for the run's own tables: control, rejections (default: ${DEFAULT-VALUE}). Env: PGBACKFILL_SCHEMA.")
    String schema;

    @Option(names = "--now-epoch", description = "The fixed 'now' (epoch seconds) for timestamp fallbacks; default: the run's start. "
        + "A resumed run keeps its first value.")
    Long nowEpoch;

    @Option(names = "--max-transaction-mb", defaultValue = "" + BackfillConfig.DEFAULT_MAX_TRANSACTION_MB,
        description = "Cap on the data one COPY transaction writes (default: ${DEFAULT-VALUE} MB).")
    int maxTransactionMb;

    @Option(names = "--max-transaction-rows", defaultValue = "" + BackfillConfig.DEFAULT_MAX_TRANSACTION_ROWS,
        description = "Cap on the rows one COPY transaction writes (default: ${DEFAULT-VALUE}).")
    int maxTransactionRows;

    @Option(names = "--ranges-per-worker", defaultValue = "" + BackfillConfig.DEFAULT_RANGES_PER_WORKER,
        description = "Ranges planned per worker, so fast workers take more (default: ${DEFAULT-VALUE}).")
    int rangesPerWorker;

    @Option(names = "--inline-document-mb", defaultValue = "" + BackfillConfig.DEFAULT_INLINE_DOCUMENT_MB,
        description = "Larger documents are read in chunks and extracted in two passes (default: ${DEFAULT-VALUE} MB).")
    int inlineDocumentMb;

    @Option(names = "--maintenance-work-mem", defaultValue = BackfillConfig.DEFAULT_MAINTENANCE_WORK_MEM,
        description = "maintenance_work_mem for each index build (default: ${DEFAULT-VALUE}).")
    String maintenanceWorkMem;

    @Option(names = "--metrics-port", defaultValue = "${env:PGBACKFILL_METRICS_PORT:--1}",
        description = "Serve Prometheus metrics on this port while the run lasts (0: any free port; default: off). Env: PGBACKFILL_METRICS_PORT.")
    int metricsPort;

    @Option(names = "--report", paramLabel = "FILE",
        description = "Also write the report as JSON to FILE: seconds, rows, bytes and MB/s per phase, rejections by reason, "
            + "WAL bytes, peak heap, workers, server version; or, if the run ended otherwise, its outcome, exit code and message.")
    java.nio.file.Path report;

    @Option(names = "--quiet", description = "No progress display; the summary only.")
    boolean quiet;

    @Option(names = "--max-rate", paramLabel = "MB",
        description = "Read at most this many MB of documents per second, over all workers of this process (default: no limit). "
            + "Env: PGBACKFILL_MAX_RATE.", defaultValue = "${env:PGBACKFILL_MAX_RATE:-0}")
    double maxRateMb;

    @Option(names = "--max-replication-lag", paramLabel = "SECONDS",
        description = "Hold while a standby's replay lag (pg_stat_replication) is above this (default: off).", defaultValue = "0")
    double maxReplicationLag;

    @Option(names = "--max-active-sessions", paramLabel = "N",
        description = "Hold while other clients (the application) have more than N active sessions on the database (default: off).", defaultValue = "0")
    int maxActiveSessions;

    @Mixin
    JobOption job;

    /** The configuration these options describe. */
    BackfillConfig.Builder builder() {
        BackfillConfig.Builder b = BackfillConfig.builder()
            .database(DatabaseOptions.parse(databaseUrl))
            .schema(schema)
            .nowEpoch(nowEpoch)
            .maxTransactionBytes((long) maxTransactionMb << 20)
            .maxTransactionRows(maxTransactionRows)
            .rangesPerWorker(rangesPerWorker)
            .inlineDocumentBytes(inlineDocumentMb << 20)
            .maintenanceWorkMem(maintenanceWorkMem)
            .maxRateBytesPerSecond((long) (maxRateMb * 1_000_000))
            .maxReplicationLagSeconds(maxReplicationLag)
            .maxActiveSessions(maxActiveSessions);
        job.applyTo(b);
        if (workers != null) b.workers(workers);
        if (writers != null) b.writers(writers);
        return b;
    }

    /** Runs the backfill these options describe in {@code mode}; writes the report if asked. Returns the exit code. */
    int run(BackfillConfig.Builder b) {
        BackfillRunner.Outcome outcome = BackfillRunner.onConsole(quiet).run(b, metricsPort);
        // automation that reads the report finds one however the run ended: the run's figures, or how and why it ended
        if (report != null && (outcome.report() != null || outcome.failure() != null)) {
            try {
                java.nio.file.Files.writeString(report, (outcome.report() != null ? outcome.report().toJson() : ExitCodes.json(outcome.failure())) + "\n");
                System.out.println("report written to " + report);
            } catch (java.io.IOException e) {
                System.err.println("pgbackfill: the report could not be written to " + report + ": " + e.getMessage());
            }
        }
        return outcome.exitCode();
    }
}
