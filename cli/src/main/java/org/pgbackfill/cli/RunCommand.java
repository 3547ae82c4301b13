package org.pgbackfill.cli;

import org.pgbackfill.engine.BackfillConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code pgbackfill run}: the whole backfill, check to stamp; with {@code --online}, everything but the stamp, while Open WebUI serves. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Runs the slow Open WebUI revision the database is at, in parallel ranges, and stamps it.",
        "At 374d2f66af06 that is 8452d01d26d7 (chat_message from chat.chat); at 856c5b02fb54, 9a1b2c3d4e5f (chat.current_message_id).",
        "pgbackfill path shows the whole upgrade. Back the database up first.",
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
