package org.pgbackfill.cli;

import org.pgbackfill.engine.BackfillConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code pgbackfill run}: the whole backfill, check to stamp; with {@code --online}, everything but the stamp, while Open WebUI serves. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Backfills chat_message from chat.chat and stamps Alembic revision 8452d01d26d7.",
        "The database must be at revision 374d2f66af06. Back it up first.",
        "With --online, Open WebUI keeps serving: chat_message is built and kept current, not stamped; "
            + "stop Open WebUI and run pgbackfill finish to cut over."},
    footer = {"%nExamples:",
        "  # pgbackfill: the launcher beside pgbackfill.jar (it sets the heap)",
        "  # the URL stays in the environment (a command line shows in ps)",
        "  export DATABASE_URL=postgresql://openwebui:secret@db:5432/openwebui",
        "  pgbackfill run",
        "  pgbackfill run --workers 4 \\",
        "      --database-url 'jdbc:postgresql://localhost/openwebui?user=postgres'",
        "  pgbackfill run --online --max-rate 50 --max-replication-lag 30"})
final class RunCommand implements Callable<Integer> {
    @Mixin
    RunOptions options;

    @Option(names = "--restart", description = "Abandon an unfinished run (dropping the chat_message it created) and start over, "
        + "instead of resuming it.")
    boolean restart;

    @Option(names = "--online", description = "Open WebUI keeps serving: record the chats it changes (a trigger on chat), build "
        + "chat_message with its indexes and foreign key, catch up with the changes; do not stamp. Run it again to catch up again; "
        + "pgbackfill finish completes it once Open WebUI is stopped.")
    boolean online;

    @Override
    public Integer call() {
        return options.run(options.builder().restart(restart)
            .mode(online ? BackfillConfig.Mode.ONLINE : BackfillConfig.Mode.OFFLINE));
    }
}
