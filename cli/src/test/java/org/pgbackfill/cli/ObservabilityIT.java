package org.pgbackfill.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run on a generated 1 GB database, watched the ways an operator would: `plan` before it, the
 * progress lines, the Prometheus endpoint scraped while it runs (the series exist and move),
 * `status --json` from another process during the run and after it, and the JSON report.
 */
class ObservabilityIT {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void aOneGigabyteRunIsVisibleFromEveryAngle() throws Exception {
        DatabaseUrl url = pg.url();
        CliProcess seed = CliProcess.runToEnd("seed", url, 600, "seed", "--size-mb", "1000", "--edge-share", "0.02");
        assertEquals(0, seed.exitCode(), seed.output());

        CliProcess plan = CliProcess.runToEnd("plan", url, 120, "plan", "--workers", "2", "--calibration-seconds", "2");
        assertEquals(0, plan.exitCode(), plan.output());
        assertTrue(plan.output().contains("ranges for 2 workers") && plan.output().contains("nothing was written"), plan.output());

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path report = Files.createTempFile("pgbackfill-report", ".json");
        CliProcess run = CliProcess.start("run", url, "run", "--workers", "2", "--metrics-port", String.valueOf(port),
            "--report", report.toString());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();
        List<Double> bytesSeen = new ArrayList<>();
        String scraped = null;
        StringBuilder everyScrape = new StringBuilder();   // series come and go (the pool's leave when it closes at the end)
        JsonNode statusDuring = null;
        try {
            while (run.isAlive()) {
                try {
                    String body = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                    Matcher m = Pattern.compile("(?m)^pgbackfill_document_read_bytes_total(?:\\{[^}]*\\})? (\\S+)").matcher(body);
                    if (m.find()) {
                        bytesSeen.add(Double.parseDouble(m.group(1)));
                        scraped = body;
                        everyScrape.append(body);
                    }
                } catch (java.io.IOException notServing) {
                    // not up yet, or already closed
                }
                if (statusDuring == null && bytesSeen.stream().anyMatch(b -> b > 0)) {
                    CliProcess status = CliProcess.runToEnd("status", url, 60, "status", "--json");
                    String out = status.output();
                    statusDuring = new ObjectMapper().readTree(out.substring(out.indexOf('{')));
                }
                Thread.sleep(250);
            }
            assertEquals(0, run.waitFor(600), run.output());
        } finally {
            run.killIfAlive();
        }
        String out = run.output();
        assertTrue(Pattern.compile("(?m)^load +\\d+\\.\\d%.*MB/s").matcher(out).find(), "progress lines\n" + out);
        assertTrue(out.contains("metrics at http://" + java.net.InetAddress.getLocalHost().getHostName() + ":" + port + "/metrics"), out);
        assertTrue(scraped != null, "the endpoint was scraped during the run");
        assertTrue(bytesSeen.stream().distinct().count() >= 2, "document bytes moved: " + bytesSeen);
        for (String series : new String[] {"pgbackfill_chats_read_total", "pgbackfill_rows_written_total", "pgbackfill_ranges{",
                "pgbackfill_phase_duration_seconds{", "pgbackfill_rejections_total{",
                "pgbackfill_copy_commit_seconds_bucket", "pgbackfill_worker_read_bytes_total", "pgbackfill_ring_occupancy",
                "pgbackfill_wal_written_bytes", "hikaricp_connections", "jvm_gc"}) {
            assertTrue(everyScrape.indexOf(series) >= 0, series);
        }
        assertTrue(statusDuring != null && !statusDuring.get("finished").asBoolean(), "status during the run: " + statusDuring);
        assertTrue(statusDuring.has("megabytes_per_second") && statusDuring.has("load_eta_seconds") && statusDuring.has("leases"),
            statusDuring.toString());
        assertTrue(statusDuring.get("state").asText().matches("running|paused") && !statusDuring.get("current_phase").isNull(),
            "status during the run names what it does now: " + statusDuring);

        JsonNode r = new ObjectMapper().readTree(report.toFile());
        Files.delete(report);
        assertEquals(6, r.get("phases").size(), r.toString());
        assertTrue(r.get("document_bytes").asLong() > 900_000_000L && r.get("rows_written").asLong() > 0, r.toString());
        assertTrue(r.get("peak_heap_bytes").asLong() > 0 && r.get("wal_bytes").asLong() > 0, r.toString());

        CliProcess after = CliProcess.runToEnd("status", url, 60, "status");
        assertTrue(after.output().contains("finished") && after.output().contains("settled"), after.output());
    }
}
