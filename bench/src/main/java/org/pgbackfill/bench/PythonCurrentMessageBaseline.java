package org.pgbackfill.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.pgbackfill.db.DatabaseUrl;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Upstream's algorithm of 9a1b2c3d4e5f as upstream runs it: CPython, psycopg2 and {@code json.loads}
 * ({@code upstream_current_message.py}, a resource of this jar, run by the {@code --python} interpreter).
 * {@link CurrentMessageBaseline} re-creates the same algorithm in Java with Jackson, which compares
 * architectures only; this one is what an operator's upgrade costs today. It needs psycopg2
 * ({@code apt-get install python3-psycopg2}); without it the benchmark says so and skips it.
 */
final class PythonCurrentMessageBaseline {
    private static final String SCRIPT = "upstream_current_message.py";

    /** What the script printed: seconds per part, chats, chats updated, its CPU seconds. */
    record Result(double totalSeconds, double fetchSeconds, double parseSeconds, double lookupSeconds, double updateSeconds,
                  double commitSeconds, long chats, long updated, double cpuSeconds, long walBytes) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "upstream's 9a1b2c3d4e5f in Python: %.2f s (fetching %.2f, parsing %.2f, lookups %.2f, "
                + "updates %.2f, commit %.2f); %d chats, %d updated, %.1f CPU s", totalSeconds, fetchSeconds, parseSeconds, lookupSeconds,
                updateSeconds, commitSeconds, chats, updated, cpuSeconds);
        }
    }

    private PythonCurrentMessageBaseline() { }

    /** Why {@code python} cannot run the baseline, or null when it can. */
    static String unavailable(String python) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(python, "-c", "import psycopg2").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
            return p.exitValue() == 0 ? null : python + " cannot import psycopg2 (apt-get install python3-psycopg2): " + out;
        } catch (IOException e) {
            return "cannot run " + python + ": " + e.getMessage();
        }
    }

    /** Runs the script on {@code db} (libpq's environment names it), its WAL measured on a connection of this JVM. */
    static Result run(String python, DatabaseUrl db) throws Exception {
        Path script = Files.createTempFile("pgbackfill-bench-", ".py");
        try (InputStream in = PythonCurrentMessageBaseline.class.getResourceAsStream(SCRIPT)) {
            if (in == null) throw new IllegalStateException(SCRIPT + " is missing from the bench jar");
            Files.write(script, in.readAllBytes());
        }
        try (Connection c = BenchDatabases.connect(db)) {
            long wal0 = BenchDatabases.walPosition(c);
            ProcessBuilder pb = new ProcessBuilder(python, script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT);
            environment(db, pb.environment());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            int code = p.waitFor();
            if (code != 0) throw new IllegalStateException("the Python baseline failed (exit " + code + "): " + out);
            JsonNode j = new ObjectMapper().readTree(out.substring(out.lastIndexOf('{')));
            long wal = BenchDatabases.walPosition(c) - wal0;
            return new Result(j.get("total").asDouble(), j.get("fetching").asDouble(), j.get("parsing").asDouble(), j.get("lookups").asDouble(),
                j.get("updates").asDouble(), j.get("commit").asDouble(), j.get("chats").asLong(), j.get("updated").asLong(),
                j.get("cpu").asDouble(), wal);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /** libpq's PG* variables for {@code db} (its JDBC URL and credentials). */
    private static void environment(DatabaseUrl db, Map<String, String> env) {
        URI u = URI.create(db.jdbcUrl().substring("jdbc:".length()));
        env.put("PGHOST", u.getHost());
        if (u.getPort() > 0) env.put("PGPORT", String.valueOf(u.getPort()));
        env.put("PGDATABASE", u.getPath().substring(1));
        String user = db.properties().getProperty("user"), password = db.properties().getProperty("password");
        if (user != null) env.put("PGUSER", user);
        if (password != null) env.put("PGPASSWORD", password);
    }
}
