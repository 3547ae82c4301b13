package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.testing.PostgresFixture;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `run --metrics-port` serves Prometheus text while the run lasts; the run's series are there and move. */
class MetricsEndpointTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    void seriesExistAndMoveDuringARun() throws Exception {
        DatabaseUrl url = pg.createDatabase("metrics", "");
        assertEquals(0, Main.execute("seed", "--database-url", url.jdbcUrlWithCredentials(), "--chats", "3000", "--mean-kb", "16"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> Main.execute("run", "--database-url", url.jdbcUrlWithCredentials(),
            "--workers", "1", "--metrics-port", String.valueOf(port), "--quiet"));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
        List<Double> bytesSeen = new ArrayList<>();
        java.util.Map<String, Double> maxSeen = new java.util.TreeMap<>();   // every pgbackfill series: the largest value any scrape showed
        String last = null;
        StringBuilder seen = new StringBuilder();   // every scrape: a series must show in some (the pool's leave as it closes)
        while (!run.isDone()) {
            try {
                String body = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
                last = body;
                seen.append(body);
                Matcher m = Pattern.compile("(?m)^pgbackfill_document_read_bytes_total(?:\\{[^}]*\\})? (\\S+)").matcher(body);
                if (m.find()) bytesSeen.add(Double.parseDouble(m.group(1)));
                Matcher sample = Pattern.compile("(?m)^(pgbackfill_[a-z_]+(?:\\{[^}]*\\})?) (\\S+)$").matcher(body);
                while (sample.find()) {
                    double v = Double.parseDouble(sample.group(2));
                    maxSeen.merge(sample.group(1), v, (a, b) -> Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.max(a, b));
                }
            } catch (java.io.IOException notYet) {
                // the server is not up yet, or already closed
            }
            // a collection now and then: a gauge whose object only Micrometer's weak reference holds turns NaN after one
            if (bytesSeen.size() % 10 == 1) System.gc();
            Thread.sleep(20);
        }
        assertEquals(0, run.get());
        // it listens on every interface: the URL printed names this host, not localhost, and says so
        String host = java.net.InetAddress.getLocalHost().getHostName();
        assertTrue(console.output().contains("metrics at http://" + host + ":" + port + "/metrics (listening on port " + port
            + " of every interface"), console.output());
        assertTrue(last != null, "the endpoint answered during the run");
        for (String series : new String[] {"pgbackfill_phase{", "pgbackfill_phase_duration_seconds{", "pgbackfill_copy_commit_seconds_bucket", "pgbackfill_ranges{", "pgbackfill_worker_read_bytes_total", "pgbackfill_ring_occupancy", "pgbackfill_wal_written_bytes", "pgbackfill_chats_read_total", "pgbackfill_rows_written_total", "pgbackfill_rows_settled_total",
                "hikaricp_connections", "jvm_memory_used_bytes"}) {
            assertTrue(seen.indexOf(series) >= 0, series + " in a scrape");
        }
        assertTrue(bytesSeen.stream().distinct().count() >= 2, "document bytes read moved during the run: " + bytesSeen);
        // issue #14: the ranges and WAL gauges were NaN in every scrape (their objects were collected); no series may be NaN
        List<String> nan = maxSeen.entrySet().stream().filter(e -> Double.isNaN(e.getValue())).map(java.util.Map.Entry::getKey).toList();
        assertTrue(nan.isEmpty(), "series that were NaN in every scrape: " + nan);
        assertTrue(maxSeen.getOrDefault("pgbackfill_wal_written_bytes", 0.0) > 0, "WAL written moved");
        double ranges = maxSeen.entrySet().stream().filter(e -> e.getKey().startsWith("pgbackfill_ranges{")).mapToDouble(java.util.Map.Entry::getValue).sum();
        assertTrue(ranges > 0, "ranges were counted by state: "
            + maxSeen.keySet().stream().filter(k -> k.startsWith("pgbackfill_ranges")).map(k -> k + "=" + maxSeen.get(k)).toList());
    }
}
