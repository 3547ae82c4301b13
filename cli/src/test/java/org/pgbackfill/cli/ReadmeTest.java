package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README.md tells the truth: its two commands come first and CI runs the second; every command and
 * every flag of the CLI is documented; every exit code the CLI declares is in its table; every
 * command's --help works.
 */
class ReadmeTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static String readme() throws Exception {
        return Files.readString(ROOT.resolve("README.md"));
    }

    /** The fenced sh blocks of the section "The two commands". */
    private static List<String> twoCommands() throws Exception {
        String r = readme();
        int start = r.indexOf("## The two commands");
        assertTrue(start >= 0, "README.md has a section '## The two commands'");
        int end = r.indexOf("\n## ", start + 5);
        Matcher m = Pattern.compile("```sh\\n(.*?)\\n```", Pattern.DOTALL).matcher(r.substring(start, end));
        List<String> blocks = new ArrayList<>();
        while (m.find()) blocks.add(m.group(1).trim());
        return blocks;
    }

    @Test
    void theTwoCommandsComeFirstAndCiRunsTheTestCommand() throws Exception {
        String r = readme();
        assertEquals(r.indexOf("\n## "), r.indexOf("\n## The two commands"), "the two commands are README's first section");
        List<String> blocks = twoCommands();
        assertEquals(2, blocks.size(), "two command blocks: " + blocks);
        assertTrue(blocks.get(0).contains("java -jar cli/target/pgbackfill.jar"), blocks.get(0));
        String ci = Files.readString(ROOT.resolve(".ci/run"));
        String test = blocks.get(1);
        // the command itself, or run as the last words of a line (.ci/run times each part: `part "name" mvn -B verify`)
        assertTrue(ci.lines().map(String::trim).anyMatch(l -> !l.startsWith("#") && (l.equals(test) || l.endsWith(" " + test))),
            ".ci/run runs README's test command '" + test + "'");
    }

    @Test
    void everyCommandAndFlagIsDocumented() throws Exception {
        String r = readme();
        CommandLine cl = new CommandLine(new Main());
        List<String> missing = new ArrayList<>();
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) continue;
            CommandSpec spec = e.getValue().getCommandSpec();
            if (!r.contains("pgbackfill " + e.getKey())) missing.add("command " + e.getKey());
            for (OptionSpec o : spec.options()) {
                if (o.usageHelp() || o.versionHelp()) continue;
                if (!r.contains(o.longestName())) missing.add(e.getKey() + " " + o.longestName());
            }
        }
        assertTrue(missing.isEmpty(), "README.md does not mention: " + missing);
    }

    @Test
    void everyExitCodeIsInTheReadme() throws Exception {
        String r = readme();
        for (String line : new CommandLine(new Main()).getCommandSpec().usageMessage().exitCodeList().keySet()) {
            String code = line.trim();
            assertTrue(Pattern.compile("^\\| " + code + " \\|", Pattern.MULTILINE).matcher(r).find(), "exit code " + code + " in README's table");
        }
    }

    @Test
    void everyCommandHasHelpWithExamples() {
        CommandLine cl = new CommandLine(new Main());
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) continue;
            assertEquals(0, Main.execute(e.getKey(), "--help"), e.getKey());
            String[] footer = e.getValue().getCommandSpec().usageMessage().footer();
            assertTrue(String.join("\n", footer).contains("Examples"), e.getKey() + " --help shows examples");
        }
    }

    /**
     * Issue #14: the documentation's examples keep the password in the environment: no command
     * takes the URL (or a password) as an argument, where ps shows it to every user of the machine.
     */
    @Test
    void examplesNeverPutAPasswordOnACommandLine() throws Exception {
        java.util.List<String> bad = new java.util.ArrayList<>();
        for (String line : readme().split("\n")) {
            // "$DATABASE_URL" as an argument (an assignment DATABASE_URL="$DATABASE_URL" before a command is the environment)
            if (line.matches(".*[^=]\"\\$DATABASE_URL\".*") || line.matches(".*--database-url\\s+\\S*://[^ @/]*:[^ @/]*@.*")
                    || line.matches(".*password=[^*.…\\s`]+.*") && line.contains("--database-url")) {
                bad.add(line);
            }
        }
        assertTrue(bad.isEmpty(), "README puts a password on a command line: " + bad);
    }
}
