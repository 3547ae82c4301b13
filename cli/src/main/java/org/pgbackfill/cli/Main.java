package org.pgbackfill.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code pgbackfill}: the command line. Exit codes (README.md lists them): 0 done, 1 unexpected
 * internal error, 2 bad usage, 3 cannot connect, 4 wrong Alembic revision, 5 not an Open WebUI
 * database, 6 chat_message already exists, 7 insufficient privileges, 8 the run failed, 9 verify found
 * mismatches.
 */
@Command(name = "pgbackfill", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Parallel, restartable backfill of Open WebUI's chat_message table (Alembic revision 8452d01d26d7) on PostgreSQL.",
    subcommands = {RunCommand.class, FinishCommand.class, PauseCommand.Pause.class, PauseCommand.Resume.class, SeedCommand.class, DemoCommand.class, VerifyCommand.class, StatusCommand.class, PlanCommand.class, PathCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:done",
        "1:unexpected internal error (a bug: please report it with the log)",
        "2:bad usage (unknown option, malformed URL, conflicting flags)",
        "3:cannot connect (server down or unreachable, wrong credentials, no such database)",
        "4:wrong Alembic revision: no job starts from it (the message says what to run; pgbackfill path shows the steps)",
        "5:not an Open WebUI database (no chat or alembic_version table, or an unexpected schema)",
        "6:chat_message already exists and is not pgbackfill's unfinished work",
        "7:insufficient privileges",
        "8:the run failed (database error during a phase; run again to retry)",
        "9:verify found mismatches between chat_message and chat (they are listed)",
        "10:no matching unfinished run: finish, pause or resume without one, or run and run --online mixed on one run",
        "11:the connection goes through a pooler in transaction or statement mode (connect to PostgreSQL itself, or pool in session mode)",
        "130:stopped by SIGINT or SIGTERM; the state is resumable: run the same command again"})
public final class Main {
    public static final int USAGE = 2;

    public static void main(String[] args) {
        System.exit(executeOnConsole(Terminal.consoleCharset(), args));
    }

    /**
     * Runs the command line on a console that encodes with {@code console}: where it cannot show the few non-ASCII glyphs
     * the tool prints (LC_ALL=C), everything it prints (help, plan, status, messages) spells them in ASCII, not as '?'.
     */
    static int executeOnConsole(java.nio.charset.Charset console, String... args) {
        if (Terminal.canShowUnicode(console)) return execute(args);
        java.io.PrintStream out = System.out, err = System.err;
        Terminal ascii = new Terminal(err, false, false);
        System.setOut(ascii.stream(out));
        System.setErr(ascii.stream(err));
        try {
            return execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** Runs the command line and returns the exit code (tests call this). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        // picocli's help and messages as text through System.out and System.err (not bytes in the default charset), so a
        // console that cannot show Unicode gets them in ASCII like everything else (executeOnConsole)
        cl.setOut(new java.io.PrintWriter(textTo(() -> System.out), true));
        cl.setErr(new java.io.PrintWriter(textTo(() -> System.err), true));
        cl.setParameterExceptionHandler(Main::badUsage);
        // every command's --help ends with the exit codes (one list, Main's, so they cannot drift apart)
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommandSpec().usageMessage().exitCodeList().isEmpty() && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                sub.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n")
                    .exitCodeList(cl.getCommandSpec().usageMessage().exitCodeList());
            }
        }
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof IllegalArgumentException) {
                commandLine.getErr().println("pgbackfill: " + ex.getMessage());
                return USAGE;
            }
            commandLine.getErr().println("pgbackfill: unexpected internal error: " + ex);
            ex.printStackTrace(commandLine.getErr());
            return 1;
        });
        return cl.execute(args);
    }

    private static java.io.Writer textTo(java.util.function.Supplier<java.io.PrintStream> stream) {
        return new java.io.Writer() {
            @Override public void write(char[] buf, int off, int len) { stream.get().print(new String(buf, off, len)); }
            @Override public void flush() { stream.get().flush(); }
            @Override public void close() { stream.get().flush(); }
        };
    }

    /**
     * Bad usage, said without echoing a password: picocli's own messages quote the arguments
     * ("Unmatched argument at index 1: 'postgresql://u:secret@…'"), so every URL in them is redacted.
     */
    private static int badUsage(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        java.io.PrintWriter err = cmd.getErr();
        err.println("pgbackfill: " + org.pgbackfill.db.DatabaseUrl.redact(ex.getMessage()));
        boolean urlGivenPositionally = java.util.Arrays.stream(args).anyMatch(a -> a.contains("://") && !a.startsWith("--"));
        if (ex instanceof CommandLine.UnmatchedArgumentException && urlGivenPositionally) {
            err.println("pgbackfill: the database URL is not a positional argument: set DATABASE_URL in the environment (or pass "
                + "--database-url); keep the password out of the command line, where ps shows it");
        } else if (ex instanceof CommandLine.UnmatchedArgumentException u) {
            CommandLine.UnmatchedArgumentException.printSuggestions(u, err);
        }
        err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
        return USAGE;
    }

    /**
     * The exit code of a command that failed on a database error outside a run: 3 when the server
     * could not be reached or refused the login, 7 on a permission error, else 8.
     */
    static int exitCodeFor(java.sql.SQLException e) {
        return ExitCodes.of(org.pgbackfill.db.DatabaseFailure.kindOf(e));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"pgbackfill " + (v == null ? "development build" : v)};
        }
    }
}
