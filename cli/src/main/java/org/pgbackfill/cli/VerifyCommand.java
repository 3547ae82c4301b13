package org.pgbackfill.cli;

import org.pgbackfill.BackfillException;
import org.pgbackfill.verify.Mismatch;
import org.pgbackfill.verify.VerifyConfig;
import org.pgbackfill.verify.VerifyReport;
import org.pgbackfill.verify.CurrentMessageVerifier;
import org.pgbackfill.verify.Verifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * {@code pgbackfill verify}: an independent, read-only check that chat_message matches chat right
 * now, after any run (pgbackfill's or Open WebUI's own migration). Prints a summary and the first
 * mismatches; the exit code says whether there were any, so scripts and CI can gate on it.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Checks that chat_message holds exactly the rows chat's documents yield, right now.",
        "Every chat's rows (or a sample's) are recomputed from its document and compared with the stored rows by count and by content.",
        "Works after any run, including Open WebUI's own migration. Read-only; safe while Open WebUI runs."},
    footer = {"%nExamples:",
        "  # the URL stays in the environment (a command line shows in ps)",
        "  export DATABASE_URL=postgresql://openwebui:secret@db:5432/openwebui",
        "  pgbackfill verify",
        "  pgbackfill verify --sample 5 --workers 4",
        "  pgbackfill verify --now-epoch 1750000000 --max-mismatches 500",
        "%nTimestamps that fell back to the run's \"now\" are compared with --now-epoch if given, else with the now of the "
            + "last finished pgbackfill run (in --schema), else any plausible run time (2020-01-01 to now) is accepted for them."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:chat_message matches chat (or, for current_message_id, every chat holds SPEC 7's value)",
        "2:bad usage (unknown option, malformed URL, invalid value)",
        "3:cannot connect (server down or unreachable, wrong credentials, no such database)",
        "4:no chat_message table yet (nothing to verify: run the backfill first)",
        "5:not an Open WebUI database (no chat table, or chat/chat_message not as Open WebUI defines them)",
        "7:insufficient privileges (SELECT on chat and chat_message is needed)",
        "8:the check failed (a database error while reading; run it again)",
        "9:mismatches found (listed in the output)"})
final class VerifyCommand implements Callable<Integer> {
    /** The exit code for "the check ran and found mismatches". */
    static final int MISMATCHES = 9;

    @Option(names = "--database-url", defaultValue = "${env:DATABASE_URL}",
        description = "postgresql://user:pass@host:port/db (Open WebUI's DATABASE_URL) or a JDBC URL. Default: $DATABASE_URL.")
    String databaseUrl;

    @Option(names = "--workers", defaultValue = "${env:PGBACKFILL_WORKERS:-0}",
        description = "Ranges checked at once, one connection each (default: the number of CPU cores). Env: PGBACKFILL_WORKERS.")
    int workers;

    @Option(names = "--job", paramLabel = "<job>",
        description = "Which result to check: chat_message, or current_message_id (every chat's value decided again). "
            + "Default: current_message_id on a database stamped 9a1b2c3d4e5f, else chat_message.")
    String job;

    @Option(names = "--sample", paramLabel = "PERCENT",
        description = "Check only about this percentage of chats (chosen by a hash of the chat id), and only their rows.")
    Double samplePercent;

    @Option(names = "--now-epoch", description = "The 'now' (epoch seconds) the run used for timestamp fallbacks. "
        + "Default: the last finished pgbackfill run's, else unknown (any plausible run time is accepted).")
    Long nowEpoch;

    @Option(names = "--schema", defaultValue = "${env:PGBACKFILL_SCHEMA:-pgbackfill}",
        description = "pgbackfill's schema, where a run left its 'now' and its rejections (default: ${DEFAULT-VALUE}). "
            + "Env: PGBACKFILL_SCHEMA.")
    String schema;

    @Option(names = "--max-mismatches", defaultValue = "50",
        description = "Mismatches shown in detail; all are counted (default: ${DEFAULT-VALUE}).")
    int maxMismatches;

    @Option(names = "--inline-document-mb", defaultValue = "8",
        description = "Larger documents are read in chunks and extracted in two passes (default: ${DEFAULT-VALUE} MB).")
    int inlineDocumentMb;

    @Option(names = "--quiet", description = "No progress display; the summary and the mismatches only.")
    boolean quiet;

    @Override
    public Integer call() {
        return Terminal.during(System.console() != null, this::verify);
    }

    private int verify(Terminal term) {
        PrintStream out = System.out;
        VerifyConfig.Builder b = VerifyConfig.builder()
            .database(DatabaseOptions.parse(databaseUrl))
            .samplePercent(samplePercent)
            .nowEpoch(nowEpoch)
            .schema(schema)
            .maxMismatches(maxMismatches)
            .inlineDocumentBytes(inlineDocumentMb << 20);
        if (workers < 0) throw new IllegalArgumentException("--workers must be positive, got " + workers);
        if (workers > 0) b.workers(workers);
        RangeProgress progress = new RangeProgress(term);
        if (!quiet) b.progress(progress);
        VerifyConfig config = b.build();
        if (job != null && !job.equals("chat_message") && !job.equals("current_message_id")) {
            throw new IllegalArgumentException("no job '" + job + "': the jobs are chat_message, current_message_id");
        }
        try {
            if ("current_message_id".equals(job) || job == null && CurrentMessageVerifier.stampedFor(config)) {
                return verifyCurrentMessage(config, progress, out);
            }
        } catch (BackfillException e) {
            progress.done();
            System.err.println("pgbackfill: " + Advice.message(e));
            return ExitCodes.of(e);
        }
        out.println("pgbackfill: verifying chat_message against chat on " + config.database() + " with " + config.workers()
            + " workers" + (config.samplePercent() == null ? "" : ", a " + config.samplePercent() + "% sample of chats"));
        VerifyReport report;
        try {
            report = new Verifier(config).verify();
        } catch (BackfillException e) {
            progress.done();
            System.err.println("pgbackfill: " + Advice.message(e));
            return ExitCodes.of(e);
        }
        progress.done();
        out.print(report.summary());
        for (Mismatch m : report.mismatches()) out.println("  " + m);
        long hidden = report.mismatchCount() - report.mismatches().size();
        if (hidden > 0) out.println("  … and " + hidden + " more (--max-mismatches shows more)");
        if (report.matches()) {
            out.println("OK: chat_message matches chat");
            return 0;
        }
        out.println("MISMATCH: chat_message does not match chat (exit code " + MISMATCHES + ")");
        return MISMATCHES;
    }

    /** The current_message_id job's check: every chat decided again by SPEC 7 and compared with its column. */
    private int verifyCurrentMessage(VerifyConfig config, RangeProgress progress, PrintStream out) throws BackfillException {
        out.println("pgbackfill: verifying chat.current_message_id (revision 9a1b2c3d4e5f) on " + config.database() + " with "
            + config.workers() + " workers");
        CurrentMessageVerifier.Report report = new CurrentMessageVerifier(config).verify();
        progress.done();
        out.print(report.summary());
        for (String m : report.shown()) out.println("  " + m);
        long hidden = report.mismatches() - report.shown().size();
        if (hidden > 0) out.println("  … and " + hidden + " more (--max-mismatches shows more)");
        if (report.matches()) {
            out.println("OK: every chat's current_message_id is SPEC 7's value");
            return 0;
        }
        out.println("MISMATCH: some chats' current_message_id is not SPEC 7's value (exit code " + MISMATCHES + ")");
        return MISMATCHES;
    }

    /** Ranges done, on the terminal's progress line (redrawn in place on a terminal, else a line every ten seconds). */
    private static final class RangeProgress implements Verifier.Progress {
        private final Terminal term;
        private long lastNanos = System.nanoTime();

        RangeProgress(Terminal term) { this.term = term; }

        @Override public synchronized void rangeChecked(int done, int total, long chats) {
            long now = System.nanoTime();
            if (done < total && now - lastNanos < (term.tty() ? 250_000_000L : 10_000_000_000L)) return;
            lastNanos = now;
            term.progress(String.format("verify: %d/%d ranges, %d chats checked", done, total, chats));
        }

        synchronized void done() { term.endProgress(); }
    }
}
