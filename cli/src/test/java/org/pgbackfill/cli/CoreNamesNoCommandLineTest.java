package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Core's messages name no flag and no command of this command line (issue #15): core says what happened and names the
 * next step as a value (NextStep, HoldCause); {@link Advice} says it with the flags. Every string literal in core's main
 * sources is checked against the flags and commands picocli knows, so a flag added later is covered too.
 */
class CoreNamesNoCommandLineTest {
    private static final Path CORE = Path.of("../core/src/main/java");

    @Test
    void noStringLiteralInCoreNamesAFlagOrACommand() throws IOException {
        Pattern words = cliWords();
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(CORE)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                for (String literal : stringLiterals(Files.readString(f))) {
                    if (words.matcher(literal).find()) found.add(CORE.relativize(f) + ": \"" + literal + "\"");
                }
            }
        }
        assertTrue(found.isEmpty(), "core names the command line in:\n" + String.join("\n", found));
    }

    @Test
    void theCheckFindsAFlagAndACommand() {
        Pattern words = cliWords();
        List<String> literals = stringLiterals("class X { String a = \"start over with --restart\"; // not \"--online\" here\n"
            + "  /* nor \"--workers\" */ String b = \"then pgbackfill finish\"; char q = '\"'; String c = \"an \\\"escaped\\\" --max-rate\"; }");
        assertEquals(List.of("start over with --restart", "then pgbackfill finish", "an \\\"escaped\\\" --max-rate"), literals);
        assertTrue(literals.stream().allMatch(l -> words.matcher(l).find()), literals.toString());
        for (String fine : new String[] {"a pgbackfill run records it", "rw-r--r--", "initdb --auth=trust", "--", "pgbackfill verify"}) {
            assertTrue(!words.matcher(fine).find(), fine);
        }
    }

    /**
     * Every long option of every command (--restart, --max-replication-lag …), and "pgbackfill &lt;command&gt;" for the
     * commands whose names are not also nouns of core's sentences ("a pgbackfill run", the session "pgbackfill verify"):
     * those two only when a flag follows.
     */
    private static Pattern cliWords() {
        CommandLine main = new CommandLine(new Main());
        TreeSet<String> flags = new TreeSet<>(), commands = new TreeSet<>();
        for (CommandLine sub : main.getSubcommands().values()) {
            commands.add(sub.getCommandName());
            for (CommandLine.Model.OptionSpec o : sub.getCommandSpec().options()) {
                for (String n : o.names()) if (n.startsWith("--")) flags.add(n);
            }
        }
        assertTrue(flags.contains("--restart") && flags.contains("--max-replication-lag") && commands.contains("finish"), flags + " " + commands);
        commands.removeAll(List.of("run", "verify", "help"));
        return Pattern.compile("(?<![\\w-])(" + String.join("|", flags.stream().map(Pattern::quote).toList()) + ")(?![\\w-])"
            + "|pgbackfill (" + String.join("|", commands) + ")\\b|pgbackfill (run|verify) --");
    }

    /** The string literals of a Java source (text blocks too), comments and char literals skipped; escapes kept as written. */
    static List<String> stringLiterals(String src) {
        List<String> out = new ArrayList<>();
        int i = 0, n = src.length();
        while (i < n) {
            char c = src.charAt(i);
            if (src.startsWith("//", i)) {
                i = src.indexOf('\n', i);
                if (i < 0) break;
            } else if (src.startsWith("/*", i)) {
                i = src.indexOf("*/", i + 2) + 2;
                if (i < 2) break;
            } else if (src.startsWith("\"\"\"", i)) {
                int end = src.indexOf("\"\"\"", i + 3);
                out.add(src.substring(i + 3, end));
                i = end + 3;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && src.charAt(j) != c) j += src.charAt(j) == '\\' ? 2 : 1;
                if (c == '"') out.add(src.substring(i + 1, j));
                i = j + 1;
            } else {
                i++;
            }
        }
        return out;
    }
}
