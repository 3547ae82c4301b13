package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.EdgeCaseCorpus;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line: help, usage errors, exit codes, the summary, and no password in any output. */
class MainTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    private String output() {
        return console.output();
    }

    @Test
    void helpListsCommandsAndExitCodes() {
        assertEquals(0, Main.execute("--help"));
        assertTrue(output().contains("run") && output().contains("Exit codes"), output());
        assertEquals(0, Main.execute("run", "--help"));
        assertTrue(output().contains("--database-url") && output().contains("--workers") && output().contains("--now-epoch"), output());
        assertEquals(0, Main.execute("--version"));
    }

    /**
     * Issue #14: the command list cut descriptions mid-sentence, examples broke URLs across lines,
     * run --help had no exit codes, and examples put the URL on the command line.
     */
    @Test
    void everyHelpReadsWhole() {
        assertEquals(0, Main.execute("--help"));
        String top = output();
        String commands = top.substring(top.indexOf("Commands:"), top.indexOf("Exit codes:"));
        // each command's entry (its name, then continuation lines) is whole sentences
        for (String entry : commands.split("\n(?=  \\S)")) {
            if (entry.startsWith("Commands:") || entry.contains("help ")) continue;
            String text = entry.replaceAll("\\s+", " ").trim();
            assertTrue(text.endsWith("."), "cut mid-sentence: " + text);
        }
        for (String command : new String[] {"run", "finish", "status", "plan", "verify", "pause", "resume", "seed", "demo"}) {
            int from = output().length();
            assertEquals(0, Main.execute(command, "--help"));
            String help = output().substring(from);
            assertTrue(help.contains("Exit codes:") && help.matches("(?s).*\\n  2 +bad usage.*"),
                command + " --help lists the exit codes:\n" + help);
            // the launcher, which sets the heap (without -Xmx the JVM reached 935 MB): no example runs java -jar bare
            assertFalse(help.contains("java -jar"), command + " --help runs java -jar without the launcher's heap:\n" + help);
            String examples = help.substring(help.indexOf("Examples:") + "Examples:".length()).replaceFirst("^\\R", "");
            int end = examples.indexOf("\n\n");
            // the examples block, up to the first blank line: every line indented, none wrapped to column 0
            for (String line : (end < 0 ? examples : examples.substring(0, end)).split("\n")) {
                assertTrue(line.startsWith("  "), command + ": an example broken across lines: '" + line + "'");
                assertFalse(line.contains("--database-url $") || line.matches(".*--database-url \\S*://[^ @/]*:[^ @/]*@.*"),
                    command + ": an example puts a password on the command line: " + line);
            }
        }
    }

    /** Issue #14: under LC_ALL=C every non-ASCII glyph showed as '?': help, plan's ranges, messages spell them in ASCII. */
    @Test
    void aConsoleWithoutUnicodeGetsAsciiNotQuestionMarks() {
        assertEquals(0, Main.executeOnConsole(java.nio.charset.StandardCharsets.US_ASCII, "seed", "--help"));
        String help = output();
        assertTrue(help.contains("(postgresql://... or jdbc:") && help.contains("'shared-...'"), help);
        assertFalse(help.contains("://?") || help.contains("\u2026"), help);
        int from = output().length();
        assertEquals(2, Main.executeOnConsole(java.nio.charset.StandardCharsets.US_ASCII, "run", "--database-url", "postgresql://u:hunter2@h/"));
        String error = output().substring(from);
        assertTrue(error.contains("names no database (.../dbname)"), error);
        assertFalse(error.contains("hunter2"), error);
        // plan's first and last ranges are open-ended
        assertEquals("range 0 (-inf, 'a']", new Terminal(System.err, false, false).text("range 0 (-\u221e, 'a']"));
        // a console that shows Unicode keeps it
        assertEquals(0, Main.executeOnConsole(java.nio.charset.StandardCharsets.UTF_8, "seed", "--help"));
        assertTrue(output().contains("(postgresql://\u2026 or"), output());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, Main.execute("run", "--database-url", "mysql://u:hunter2@h/db"));
        assertTrue(output().contains("unsupported database URL scheme"), output());
        assertEquals(2, Main.execute("run", "--database-url", "postgresql://u:hunter2@h/db", "--workers", "-3"));
        assertEquals(2, Main.execute("run", "--no-such-flag"));
        assertFalse(output().contains("hunter2"), output());
    }

    @Test
    void wrongRevisionExitsFour() throws Exception {
        DatabaseUrl url = pg.createDatabase("rev", "");
        try (Connection c = PostgresFixture.connect(url); var st = c.createStatement()) {
            OpenWebUiDatabase.createSchema(c);
            st.execute("UPDATE alembic_version SET version_num = 'abc'");
        }
        assertEquals(4, Main.execute("run", "--database-url", url.jdbcUrlWithCredentials(), "--quiet"));
        assertTrue(output().contains("alembic upgrade 374d2f66af06"), output());
    }

    @Test
    void unreachableServerExitsThreeWithoutThePassword() {
        assertEquals(3, Main.execute("run", "--database-url", "postgresql://owui:hunter2@127.0.0.1:1/openwebui", "--quiet"));
        assertTrue(output().contains("cannot connect"), output());
        assertFalse(output().contains("hunter2"), output());
    }

    @Test
    void fullRunPrintsTheSummaryAndNeverThePassword() throws Exception {
        DatabaseUrl url = pg.createDatabase("run", "");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            EdgeCaseCorpus.load(c, EdgeCaseCorpus.DEFAULT_NOW);
        }
        // trust authentication ignores the password; it must still never be printed
        String withPassword = BackfillChecks.withPassword(url);
        java.nio.file.Path reportFile = java.nio.file.Files.createTempFile("pgbackfill-report", ".json");
        int code = Main.execute("run", "--database-url", withPassword, "--workers", "2", "--now-epoch", "1750000000",
            "--report", reportFile.toString());
        assertEquals(0, code, output());
        var report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(reportFile.toFile());
        java.nio.file.Files.delete(reportFile);
        assertEquals(6, report.get("phases").size(), report.toString());
        assertEquals("load", report.get("phases").get(2).get("phase").asText());
        assertTrue(report.get("rows_written").asLong() > 0 && report.get("rejections").size() > 0, report.toString());
        assertTrue(report.get("wal_bytes").asLong() > 0 && report.get("peak_heap_bytes").asLong() > 0
            && report.has("peak_heap_after_gc_bytes"), report.toString());
        assertTrue(report.get("server_version").asText().matches("\\d+.*"), report.toString());
        String o = output();
        assertTrue(o.contains("load") && o.contains("MB/s") && o.contains("rows in chat_message") && o.contains("rejections:"), o);
        assertTrue(o.contains("Alembic revision is now 8452d01d26d7"), o);
        assertFalse(o.contains(BackfillChecks.password(url)), o);

        // again, on the finished database: nothing to do (exit 0), and the report says so
        assertEquals(0, Main.execute("run", "--database-url", withPassword, "--quiet", "--report", reportFile.toString()), output());
        var again = new com.fasterxml.jackson.databind.ObjectMapper().readTree(reportFile.toFile());
        java.nio.file.Files.delete(reportFile);
        assertEquals("already_done", again.get("outcome").asText(), again.toString());
        assertEquals(0, again.get("exit_code").asInt(), again.toString());
        assertTrue(again.get("message").asText().contains("nothing to do"), again.toString());
    }

    /**
     * Issue #14: rows set aside at the build (an id two chats share) are normal operation; the log
     * said "building [chat_message_pkey] stopped on the data (ERROR: could not create unique index …)".
     */
    @Test
    void rowsSetAsideAtTheBuildDoNotReadLikeAFailure() throws Exception {
        DatabaseUrl url = pg.createDatabase("dupid", "");
        try (Connection c = PostgresFixture.connect(url)) {
            OpenWebUiDatabase.createSchema(c);
            // a row's id is chat id + "-" + message key: "a" + "b-c" and "a-b" + "c" are both "a-b-c"
            OpenWebUiDatabase.insertChat(c, "a", "u1", "{\"history\":{\"messages\":{\"b-c\":{\"role\":\"user\",\"content\":\"hi\"}}}}");
            OpenWebUiDatabase.insertChat(c, "a-b", "u1", "{\"history\":{\"messages\":{\"c\":{\"role\":\"user\",\"content\":\"ho\"}}}}");
        }
        assertEquals(0, Main.execute("run", "--database-url", url.jdbcUrlWithCredentials(), "--workers", "1", "--now-epoch", "1750000000"));
        String o = output();
        assertTrue(o.contains("DUPLICATE_ID"), "the data did have an id two chats share: " + o);
        assertTrue(o.contains("[chat_message_pkey] not built yet: some rows cannot go in as they are") && o.contains("then building again"), o);
        assertFalse(o.contains("stopped on the data") || o.contains("ERROR:") || o.contains("could not create unique index"), o);
        assertTrue(o.contains("with 1 worker (readers) and 1 writer") && !o.contains("1 writers") && !o.contains("1 workers"), o);
        assertTrue(o.contains("1 row shared its id with a row of another chat; kept upstream's winner, recorded the other") && !o.contains("1 rows"), o);
        // the summary's two row counts differ by the row set aside: it says where it went
        assertTrue(o.contains("rows written by the load: 2; rows in chat_message: 1 (1 fewer: set aside by the build as DUPLICATE_ID"), o);
    }
}
