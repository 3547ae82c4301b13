package org.pgbackfill.cli;

import org.pgbackfill.engine.BackfillConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code pgbackfill finish}: the cut-over of an online run, once Open WebUI is stopped. */
@Command(name = "finish", mixinStandardHelpOptions = true,
    description = {"Completes a run started with pgbackfill run --online, once Open WebUI is stopped.",
        "A last catch-up with the chats changed since (under a SHARE lock on the captured tables, so no change slips past), the "
            + "stamp of the job's revision (8452d01d26d7; 9a1b2c3d4e5f for current_message_id), and the change capture removed. "
            + "Prints how long Open WebUI had to be down for it."},
    footer = {"%nExamples:",
        "  # the URL stays in the environment (a command line shows in ps)",
        "  export DATABASE_URL=postgresql://openwebui:secret@db:5432/openwebui",
        "  docker stop open-webui && pgbackfill finish"})
final class FinishCommand implements Callable<Integer> {
    @Mixin
    RunOptions options;

    @Override
    public Integer call() {
        return options.run(options.builder().mode(BackfillConfig.Mode.FINISH));
    }
}
