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
        String last = null;
        while (!run.isDone()) {
            try {
                String body = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
                last = body;
                Matcher m = Pattern.compile("(?m)^pgbackfill_document_read_bytes_total(?:\\{[^}]*\\})? (\\S+)").matcher(body);
                if (m.find()) bytesSeen.add(Double.parseDouble(m.group(1)));
            } catch (java.io.IOException notYet) {
                // the server is not up yet, or already closed
            }
            Thread.sleep(20);
        }
        assertEquals(0, run.get());
        assertTrue(last != null, "the endpoint answered during the run");
        for (String series : new String[] {"pgbackfill_phase{", "pgbackfill_phase_duration_seconds{", "pgbackfill_copy_commit_seconds_bucket", "pgbackfill_ranges{", "pgbackfill_worker_read_bytes_total", "pgbackfill_ring_occupancy", "pgbackfill_wal_written_bytes", "pgbackfill_chats_read_total", "pgbackfill_rows_staged_total",
                "hikaricp_connections", "jvm_memory_used_bytes"}) {
            assertTrue(last.contains(series), series + " in\n" + last.substring(0, Math.min(2000, last.length())));
        }
        assertTrue(bytesSeen.stream().distinct().count() >= 2, "document bytes read moved during the run: " + bytesSeen);
    }
}
