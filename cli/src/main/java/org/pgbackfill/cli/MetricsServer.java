package org.pgbackfill.cli;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The run's meters, scrapeable by Prometheus at {@code http://host:port/metrics} while the run
 * lasts: Micrometer's Prometheus registry served by the Prometheus Java client's HTTP server,
 * with the JVM's memory, GC, thread and CPU meters alongside the run's own.
 */
final class MetricsServer implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final HTTPServer server;

    private MetricsServer(int port) {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        try {
            server = HTTPServer.builder().port(port).registry(registry.getPrometheusRegistry()).buildAndStart();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on port " + port + ": " + e.getMessage()
                + " (choose another with --metrics-port, or 0 for any free port)", e);
        }
    }

    /** Serves on {@code port} (0: any free port). */
    static MetricsServer start(int port) {
        return new MetricsServer(port);
    }

    PrometheusMeterRegistry registry() { return registry; }

    /**
     * Where to scrape: the server listens on every interface (Prometheus usually scrapes from
     * another host), so the URL names this host, not localhost, and says so.
     */
    String url() { return "http://" + hostName() + ":" + server.getPort() + "/metrics"; }

    /** For the operator: the URL and that every interface listens. */
    String describe() { return url() + " (listening on port " + server.getPort() + " of every interface of this host)"; }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "this-host";
        }
    }

    @Override public void close() {
        server.close();
        gc.close();
        registry.close();
    }
}
