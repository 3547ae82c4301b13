package org.pgbackfill.engine;

import org.pgbackfill.phase.ProgressListener;

import org.pgbackfill.testing.VersionMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.OpenWebUiDatabase;
import org.pgbackfill.testing.PostgresFixture;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * chat_message's values are compressed with lz4 where the server has it, with pglz where it has
 * not (the embedded builds, PostgreSQL 13), and the operator is told which: one line in the
 * output when it is pglz, a field in the report and in {@code status}. Which path a server takes
 * is judged here independently of the tool, from {@code pg_settings}: lz4 is among
 * {@code default_toast_compression}'s values only in a server built with it. The suite runs this
 * on the embedded server (pglz) and, in {@code .ci/run}, on the Debian server (lz4).
 */
@VersionMatrix
class ToastCompressionTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void theRowsGetTheCompressionTheRunReports() throws Exception {
        DatabaseUrl url = pg.url();
        String expected;
        try (Connection c = pg.connect()) {
            expected = serverHasLz4(c) ? "lz4" : "pglz";
            OpenWebUiDatabase.createSchema(c);
            for (int i = 0; i < 40; i++) {
                // 8 kB of compressible text per message: stored compressed, inline or in TOAST
                String content = ("message " + i + " says the same thing again and again. ").repeat(200);
                OpenWebUiDatabase.insertChat(c, String.format("chat-%03d", i), "u", "{\"history\":{\"messages\":{\"m\":{\"role\":\"user\","
                    + "\"content\":\"" + content + "\",\"timestamp\":1700000000}}}}");
            }
        }
        List<String> said = new ArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override public void info(String message) { said.add(message); }
        };
        RunReport report = new Backfill(BackfillConfig.builder().database(url).workers(2).nowEpoch(1_750_000_000L)
            .progress(listener).build()).run();

        assertEquals(expected, report.toastCompression(), "the report's toast_compression");
        assertTrue(report.toJson().contains("\"toast_compression\" : \"" + expected + "\"")
            || report.toJson().contains("\"toast_compression\":\"" + expected + "\""), report.toJson());
        List<String> pglzLines = said.stream().filter(s -> s.contains("no lz4") && s.contains("pglz")).toList();
        assertEquals("pglz".equals(expected) ? 1 : 0, pglzLines.size(), "the pglz line, said once when (and only when) "
            + "the server has no lz4: " + said);
        try (Connection c = pg.connect()) {
            RunStatus status = RunStatus.read(c, "pgbackfill");
            assertEquals(expected, status.toastCompression(), "status's toast_compression");
            assertTrue(status.toJson().contains(expected), status.toJson());
            assertTrue(status.describe().contains("TOAST compression of chat_message: " + expected), status.describe());
            if (PostgresFixture.serverVersionNum() >= 140000) {
                assertEquals(Set.of(expected), methodsUsed(c), "pg_column_compression of chat_message.content");
            }
        }
    }

    private static boolean serverHasLz4(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT coalesce(bool_or('lz4' = ANY (enumvals)), false) FROM pg_settings WHERE name = 'default_toast_compression'")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static Set<String> methodsUsed(Connection c) throws Exception {
        Set<String> methods = new TreeSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT DISTINCT pg_column_compression(content) FROM chat_message WHERE pg_column_compression(content) IS NOT NULL")) {
            while (rs.next()) methods.add(rs.getString(1));
        }
        return methods;
    }
}
