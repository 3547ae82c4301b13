package org.pgbackfill.cli;

import org.pgbackfill.engine.BackfillConfig;
import picocli.CommandLine.Option;

/**
 * {@code --job}, as run, finish and plan take it: the job named, or by default the one the
 * database's revision calls for. (verify's --job names the result to check, with its own default.)
 */
final class JobOption {
    @Option(names = "--job", paramLabel = "<job>",
        description = "Which revision to run: chat_message (8452d01d26d7, from 374d2f66af06) or current_message_id "
            + "(9a1b2c3d4e5f, from 856c5b02fb54). Default: the one the database's Alembic revision calls for; named, it refuses a "
            + "database at another revision.")
    String job;

    /** {@code b} with the job named, or with the job the database's revision calls for. */
    BackfillConfig.Builder applyTo(BackfillConfig.Builder b) {
        return job != null ? b.job(job) : b.jobFromRevision();
    }
}
