package org.pgbackfill.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `pgbackfill path`: from --from or the database's revision, text and JSON, and its refusals. */
class PathCommandTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    /** The numbered step lines, and each step's command lines (alembic upgrade / pgbackfill run). */
    private static List<String> stepsAndCommands(String out) {
        List<String> lines = new ArrayList<>();
        for (String l : out.split("\n")) {
            if (l.matches("\\d+\\. .*") || l.contains("alembic upgrade ") || l.trim().endsWith("pgbackfill run")) lines.add(l.trim());
        }
        return lines;
    }

    @Test
    void fromTheFirstJobsStartToTheNewestRelease() {
        assertEquals(0, Main.execute("path", "--from", "374d2f66af06"));
        String out = console.output();
        assertTrue(out.startsWith("Upgrade path from Alembic revision 374d2f66af06 (\"Add prompt history table\", first in Open WebUI 0.8.0) "
            + "to Open WebUI 0.11.0 (2026-07-27), which ends at revision f0bd01a18a3d.\n"), out);
        assertEquals(List.of(
            "1. pgbackfill runs 8452d01d26d7 \"Add chat_message table\" (chat_message): from 374d2f66af06, it stamps 8452d01d26d7:",
            "DATABASE_URL=... pgbackfill run",
            "2. Alembic runs 18 revisions, up to 856c5b02fb54:",
            "bash -c 'cd /app/backend/open_webui && alembic upgrade 856c5b02fb54'",
            "cd open-webui/backend/open_webui && DATABASE_URL=\"$DATABASE_URL\" alembic upgrade 856c5b02fb54",
            "3. pgbackfill runs 9a1b2c3d4e5f \"add current_message_id to chat\" (current_message_id): from 856c5b02fb54, it stamps 9a1b2c3d4e5f:",
            "DATABASE_URL=... pgbackfill run",
            "4. Alembic runs 5 revisions, up to f0bd01a18a3d:",
            "bash -c 'cd /app/backend/open_webui && alembic upgrade f0bd01a18a3d'",
            "cd open-webui/backend/open_webui && DATABASE_URL=\"$DATABASE_URL\" alembic upgrade f0bd01a18a3d",
            "(Or leave it to Open WebUI 0.11.0: its startup runs `alembic upgrade head`, which ends at f0bd01a18a3d.)",
            "5. Start Open WebUI 0.11.0."), stepsAndCommands(out));
        assertTrue(out.contains("docker run --rm --network <its-network> -e DATABASE_URL ghcr.io/open-webui/open-webui:v0.11.0 \\\n"), out);
        assertTrue(out.contains("     856c5b02fb54  add chat message meta"), out);
        assertEquals(2, out.split("estimate: run `pgbackfill plan`", -1).length - 1, out);
    }

    /** Issue #16: with the database, each pgbackfill step gets an estimate from a calibration, as plan makes it, and nothing is written. */
    @Test
    void estimatesEachPgbackfillStepOnTheDatabase() throws Exception {
        DatabaseUrl url = pg.createDatabase("pathestimate", "");
        String db = url.jdbcUrlWithCredentials();
        assertEquals(0, Main.execute("seed", "--database-url", db, "--chats", "400", "--seed", "5"));
        String before = PlanCommandTest.footprint(url);
        console.output();
        assertEquals(0, Main.execute("path", "--database-url", db, "--calibration-seconds", "1"));
        String out = console.output();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("estimate: about \\d+ (s|min) on this database").matcher(out);
        int estimates = 0;
        while (m.find()) estimates++;
        assertEquals(2, estimates, out);
        assertTrue(out.contains("(a short calibration; pgbackfill plan gives the details)"), out);
        assertTrue(out.contains("pgbackfill plan gives the details once the database is at 856c5b02fb54)"), out);

        assertEquals(0, Main.execute("path", "--database-url", db, "--calibration-seconds", "1", "--json"));
        String json = console.output();
        String line = java.util.Arrays.stream(json.split("\n")).filter(l -> l.startsWith("{\"from\"")).findFirst().orElseThrow();
        JsonNode steps = new ObjectMapper().readTree(line).get("steps");
        int seen = 0;
        for (JsonNode step : steps) {
            if (!"pgbackfill".equals(step.get("kind").asText())) continue;
            assertTrue(step.get("estimate_seconds").asDouble() > 0, step.toString());
            seen++;
        }
        assertEquals(2, seen, json);

        assertEquals(0, Main.execute("path", "--database-url", db, "--calibration-seconds", "0"));
        assertEquals(2, console.output().split("estimate: run `pgbackfill plan`", -1).length - 1);
        assertEquals(before, PlanCommandTest.footprint(url), "path writes nothing");
    }

    @Test
    void toAnOlderReleaseAsJson() throws Exception {
        assertEquals(0, Main.execute("path", "--from", "c440947495f3", "--to", "v0.9.0", "--json"));
        JsonNode j = new ObjectMapper().readTree(console.output());
        assertEquals("c440947495f3", j.get("from").asText());
        assertEquals("0.9.0", j.get("target_release").asText());
        assertEquals("56359461a091", j.get("target_revision").asText());
        assertEquals("upgrade", j.get("status").asText());
        JsonNode steps = j.get("steps");
        assertEquals(3, steps.size());
        assertEquals("alembic upgrade 374d2f66af06", steps.get(0).get("command").asText());
        assertEquals(1, steps.get(0).get("revisions").size());
        assertEquals("pgbackfill", steps.get(1).get("kind").asText());
        assertEquals("chat_message", steps.get(1).get("job").asText());
        assertEquals("374d2f66af06", steps.get(1).get("start").asText());
        assertEquals("8452d01d26d7", steps.get(1).get("stamp").asText());
        assertTrue(steps.get(1).get("estimate_seconds").isNull());
        assertEquals("alembic upgrade 56359461a091", steps.get(2).get("command").asText());
        assertEquals(9, steps.get(2).get("revisions").size());
        assertEquals("0.8.0", steps.get(2).get("revisions").get(0).get("first_release").asText());
    }

    @Test
    void atOrPastTheTargetSaysSo() {
        assertEquals(0, Main.execute("path", "--from", "f0bd01a18a3d"));
        assertTrue(console.output().contains("The database is already at 0.11.0's last revision: nothing to run."), console.output());
        assertEquals(0, Main.execute("path", "--from", "856c5b02fb54", "--to", "0.10.2"));
        assertTrue(console.output().contains("The database is already past 0.10.2 (42e2978c7933 is behind 856c5b02fb54): nothing to run"), console.output());
    }

    @Test
    void refusals() {
        assertEquals(4, Main.execute("path", "--from", "b2f8a9c1d5e3"));
        String out = console.output();
        assertTrue(out.contains("pgbackfill: Alembic revision 'b2f8a9c1d5e3' is not one pgbackfill knows. It knows upstream Open WebUI's 55 revisions, "
            + "from 7e5b5dc7342b (release 0.3.8) to f0bd01a18a3d (release 0.11.0)."), out);
        assertTrue(out.contains("pgbackfill path --from <revision>"), out);
        int at = console.output().length();
        assertEquals(2, Main.execute("path", "--from", "374d2f66af06", "--to", "0.12.0"));
        assertTrue(console.output().substring(at).contains("Open WebUI release '0.12.0' is not one pgbackfill knows"), console.output());
        at = console.output().length();
        assertEquals(2, Main.execute("path", "--database-url", ""));
        assertTrue(console.output().substring(at).contains("or give the revision with --from <revision>"), console.output());
    }

    @Test
    void readsTheDatabasesRevision() throws Exception {
        DatabaseUrl url = pg.createDatabase("path", "");
        try (Connection c = PostgresFixture.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)");
            st.execute("INSERT INTO alembic_version VALUES ('b2c3d4e5f6a7')");
        }
        assertEquals(0, Main.execute("path", "--database-url", url.jdbcUrlWithCredentials()));
        String out = console.output();
        assertTrue(out.startsWith("Upgrade path from Alembic revision b2c3d4e5f6a7 (\"add scim column to user table\", first in Open WebUI 0.8.1)"), out);
        assertTrue(out.contains("\n1. Alembic runs 15 revisions, up to 856c5b02fb54:"), out);
        assertTrue(out.contains("\n2. pgbackfill runs 9a1b2c3d4e5f"), out);
        assertFalse(out.contains("8452d01d26d7"), "the first job is behind: " + out);
    }

    @Test
    void aDatabaseWithoutAlembicIsNotOpenWebUis() throws Exception {
        DatabaseUrl url = pg.createDatabase("path_none", "");
        assertEquals(5, Main.execute("path", "--database-url", url.jdbcUrlWithCredentials()));
        assertTrue(console.output().contains("no table 'alembic_version'"), console.output());
    }
}
