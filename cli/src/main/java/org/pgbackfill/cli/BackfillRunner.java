package org.pgbackfill.cli;

import org.pgbackfill.engine.Backfill;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.BackfillException;
import org.pgbackfill.engine.RunReport;

import java.io.PrintStream;

/**
 * One backfill as the command line shows it: the header line, the metrics URL, the progress
 * display, the summary and the closing line, or the failure's message. Shared by {@code pgbackfill run} and {@code
 * pgbackfill demo}, so that the demo shows exactly what a real run shows.
 */
final class BackfillRunner {
    /** "1 worker", "4 workers". */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** What became of the run: {@code exitCode} 0 with a report, or a failure's exit code with the failure. */
    record Outcome(int exitCode, BackfillConfig config, RunReport report, BackfillException failure) {
        boolean succeeded() { return failure == null; }
    }

    private final boolean tty;
    private final boolean quiet;
    private PrintStream out;
    private PrintStream err;

    private BackfillRunner(boolean tty, boolean quiet) {
        this.tty = tty;
        this.quiet = quiet;
    }

    /** System.out and System.err; progress redrawn in place when there is a console. */
    static BackfillRunner onConsole(boolean quiet) {
        return new BackfillRunner(System.console() != null, quiet);
    }

    /**
     * Runs it with System.out and System.err guarded by a {@link Terminal} for the run's length:
     * the log (which prints to System.err) and the summary then never land on the progress line,
     * and a console that cannot show Unicode gets ASCII.
     */
    Outcome run(BackfillConfig.Builder builder, int metricsPort) {
        return Terminal.during(tty, term -> {
            out = System.out;
            err = System.err;
            return run(builder, metricsPort, term);
        });
    }

    /**
     * Serves Prometheus metrics on {@code metricsPort} while the run lasts (0: any free port, negative:
     * none), builds the configuration (with this runner's progress display; a bad value throws
     * {@link IllegalArgumentException}, which the command line reports as bad usage) and runs it.
     */
    private Outcome run(BackfillConfig.Builder builder, int metricsPort, Terminal term) {
        ProgressPrinter progress = new ProgressPrinter(term, quiet);
        MetricsServer metrics = metricsPort >= 0 ? MetricsServer.start(metricsPort) : null;
        BackfillConfig config;
        try {
            if (metrics != null) builder.meterRegistry(metrics.registry());
            config = builder.progress(JitChoice.afterPlan(progress)).build();
        } catch (RuntimeException e) {
            if (metrics != null) metrics.close();
            throw e;
        }
        out.println("pgbackfill: backfilling on " + config.database() + " with " + count(config.workers(), "worker")
            + " (readers) and " + count(config.writers(), "writer"));
        if (metrics != null) out.println("pgbackfill: metrics at " + metrics.describe());
        Backfill backfill = new Backfill(config);
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
        // SIGINT / SIGTERM: ask the run to stop, and give it a few seconds to leave a resumable state
        Thread onSignal = new Thread(() -> {
            err.println();
            err.println("pgbackfill: stopping (signal received) …");
            backfill.stop();
            try {
                finished.await(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "pgbackfill-stop");
        Runtime.getRuntime().addShutdownHook(onSignal);
        try (metrics) {
            RunReport report = backfill.run();
            progress.done();
            out.print(report.summary());
            // the current_message_id job rejects chats (their values left as they were), never messages
            String rejected = report.writes().equals("values") ? "rejected chats are in " + config.schema() + ".rejected_chat"
                : "rejected rows are in " + config.schema() + ".rejected_message and " + config.schema() + ".rejected_chat";
            switch (config.mode()) {
                case ONLINE -> out.println("online: " + report.job() + " is built and current, not stamped; Open WebUI keeps serving. To cut over: "
                    + "stop Open WebUI, run pgbackfill finish, start the new Open WebUI (pgbackfill run --online again catches up); " + rejected);
                case FINISH -> out.printf(java.util.Locale.ROOT, "done: Alembic revision is now %s; Open WebUI had to be down "
                    + "for %.1f s (this finish); %s%n", report.toRevision(), report.totalSeconds(), rejected);
                default -> out.println("done: Alembic revision is now " + report.toRevision() + "; " + rejected);
            }
            return new Outcome(0, config, report, null);
        } catch (BackfillException e) {
            progress.done();
            err.println("pgbackfill: " + Advice.message(e));
            return new Outcome(ExitCodes.of(e), config, null, e);
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that the run has finished
            }
        }
    }
}
