package org.pgbackfill.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A throwaway PostgreSQL server on this machine, for {@code pgbackfill demo} and the test suite:
 * no Docker, no installation. The binaries come from the classpath ({@link PostgresBinaries});
 * {@link #start} unpacks them into a new temporary directory, runs {@code initdb} (superuser
 * {@code postgres}, trust authentication, UTF-8, C locale), and starts {@code postgres} on a free
 * port of 127.0.0.1 with no Unix socket, with the caller's settings.
 *
 * <p>Layout of the directory: {@code pg/} the binaries, {@code data/} the cluster (its {@code
 * postgresql.auto.conf} carries the port and settings, so {@code pg_ctl -D data start} brings the
 * same server back), {@code server.log} the server's output, {@code initdb.log} initdb's.
 *
 * <p>{@link #restart} stops the server (an immediate shutdown is a crash: no checkpoint, crash
 * recovery at the next start) and starts it again on the same port and data, for fault tests.
 *
 * <p>{@link #close()} stops the server (fast shutdown, then SIGKILL for whatever is left after a
 * while), waits for every one of its processes to end and deletes the directory, unless {@link
 * #keepFiles(boolean)}. A shutdown hook does the same if the JVM ends first (Ctrl-C, SIGTERM),
 * and a failed {@link #start} cleans up before it throws.
 *
 * <p>{@link #startStandby} makes a streaming standby of such a server, as pg_basebackup would
 * (which the embedded binaries lack): a copy of its data directory, taken while it is stopped.
 *
 * <p>As root, the server's processes run as an unprivileged account: see {@link ServerAccount}.
 */
public final class EmbeddedServer implements AutoCloseable {
    /** The superuser initdb creates (trust authentication, on 127.0.0.1 only). */
    public static final String SUPERUSER = "postgres";
    /** The standbys' application_name, as pg_stat_replication shows it on the primary. */
    public static final String STANDBY_NAME = "pgbackfill-standby";
    private static final long START_TIMEOUT_MS = 60_000;
    private static final long STOP_TIMEOUT_MS = 30_000;

    /** How {@link #stop} ends the server, as {@code pg_ctl stop -m}. */
    public enum Shutdown {
        /** SIGTERM: new connections are refused (57P03, "shutting down") until the last session ends by itself. */
        SMART("TERM"),
        /** SIGINT: transactions rolled back, sessions ended, a checkpoint written. */
        FAST("INT"),
        /** SIGQUIT: every process quits at once; the next start runs crash recovery (UNLOGGED tables emptied). */
        IMMEDIATE("QUIT");

        private final String signal;

        Shutdown(String signal) { this.signal = signal; }
    }

    private final Path dir;
    private final Map<String, String> settings;
    private final ServerAccount account;
    private final ServerDirectory files;
    private final Consumer<String> log;
    private final Thread shutdownHook;
    private volatile Process process;  // setpriv execs postgres, so with setpriv this is the postmaster itself
    private volatile Process helper;   // initdb while it runs
    private final Object writing = new Object(); // held while start() writes into dir, so that close() never deletes under it
    private volatile boolean cancelled;          // close() was called (Ctrl-C): start() stops at its next step
    private int port;
    private String version;
    private boolean keepFiles;
    private boolean closed;

    private EmbeddedServer(Path dir, Map<String, String> settings, ServerAccount account, Consumer<String> log) {
        this.dir = dir;
        this.settings = settings;
        this.account = account;
        this.files = new ServerDirectory(dir, account);
        this.log = log;
        this.shutdownHook = new Thread(this::closeFromHook, "pgbackfill-embedded-postgres-cleanup");
    }

    /**
     * Unpacks, initialises and starts a server in a new directory under {@code parent}.
     *
     * @param parent        where to make the temporary directory ({@code java.io.tmpdir} when null)
     * @param userWhenRoot  the account to run the server as when this process is root
     * @param settings      postgresql.conf settings, written as given ({@code fsync → off}); the port,
     *                      the listen address and the socket directory are the server's own
     * @param log           told what happens, one line at a time
     * @throws IOException  with the reason and, when a server program failed, the end of its output
     */
    public static EmbeddedServer start(Path parent, String userWhenRoot, Map<String, String> settings, Consumer<String> log)
            throws IOException {
        String unsupported = PostgresBinaries.unsupportedPlatform();
        if (unsupported != null) throw new IOException(unsupported);
        ServerAccount account = ServerAccount.choose(userWhenRoot);
        Path base = parent != null ? parent : Path.of(System.getProperty("java.io.tmpdir"));
        return launch(base, Map.copyOf(settings), account, log, server -> server.initdb());
    }

    /**
     * Starts a streaming standby of {@code primary}, on a port and in a directory of its own (next
     * to the primary's): the primary is stopped (a fast shutdown, so that its last checkpoint leaves
     * the data directory consistent), its data directory is copied, and it is started again on its
     * port; the copy starts in standby mode ({@code standby.signal}) and streams from the primary
     * ({@code primary_conninfo}, application_name {@value #STANDBY_NAME}). The primary's sessions
     * end with the stop, so this is only for a primary nobody else uses yet. The primary must allow
     * streaming replication, as it does by default: wal_level replica, max_wal_senders above 0, and
     * initdb's pg_hba.conf lets 127.0.0.1 connect for replication (trust). Without a replication
     * slot: the standby keeps up with the WAL as long as the primary keeps it (max_wal_size).
     *
     * @param settings the standby's postgresql.conf settings, over the primary's (e.g.
     *                 wal_receiver_status_interval, how often it reports its replay position)
     */
    public static EmbeddedServer startStandby(EmbeddedServer primary, Map<String, String> settings, Consumer<String> log)
            throws IOException {
        Map<String, String> merged = new java.util.HashMap<>(primary.settings);
        merged.putAll(settings);
        merged.put("primary_conninfo", "host=127.0.0.1 port=" + primary.port() + " user=" + SUPERUSER
            + " application_name=" + STANDBY_NAME);
        return launch(primary.dir.getParent(), Map.copyOf(merged), primary.account, log, server -> server.copyOf(primary));
    }

    /** Fills the new server's empty data directory (initdb, or a copy of another server's). */
    private interface DataMaker { void make(EmbeddedServer server) throws IOException; }

    private static EmbeddedServer launch(Path base, Map<String, String> settings, ServerAccount account, Consumer<String> log,
                                         DataMaker data) throws IOException {
        Path dir = Files.createTempDirectory(base.toAbsolutePath(), "pgbackfill-postgres-");
        EmbeddedServer server = new EmbeddedServer(dir, settings, account, log);
        try {
            Runtime.getRuntime().addShutdownHook(server.shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            ServerDirectory.deleteTree(dir);
            throw new IOException("the JVM is shutting down");
        }
        try {
            synchronized (server.writing) {
                server.boot(data);
            }
            return server;
        } catch (IOException | RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    private void boot(DataMaker maker) throws IOException {
        long t0 = System.nanoTime();
        // others may pass (the server's account, when it is not ours) but not list
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        account.checkReachable(dir);
        Path pg = Files.createDirectory(dir.resolve("pg"));
        PostgresBinaries.unpack(pg, () -> cancelled);
        Path data = Files.createDirectory(dir.resolve("data"));
        account.own(data);
        log.accept(String.format("unpacked PostgreSQL into %s in %.1f s%s", dir, (System.nanoTime() - t0) / 1e9,
            account.switchesUser() ? "; running it as '" + account.name() + "' (PostgreSQL refuses to run as root)" : ""));

        checkCancelled();
        maker.make(this);

        IOException last = null;
        for (int attempt = 1; attempt <= 5; attempt++) {
            checkCancelled();
            port = freePort();
            files.writeConfig(port, settings);
            try {
                startServer(data);
                return;
            } catch (Readiness.PortTakenException e) {
                last = e;      // another process took the port between our probe and the server's bind: try another
            }
        }
        throw last;
    }

    private void initdb() throws IOException {
        files.runToEnd(List.of(files.bin("initdb"), "-D", files.data().toString(), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
            "--locale=C", "--no-sync"), "initdb", p -> helper = p);   // no --no-instructions: PostgreSQL 13 lacks it
    }

    /**
     * The standby's data: {@code primary}'s data directory, copied while it is stopped, then
     * {@code standby.signal}. Under the primary's lock, so that nothing restarts it in between.
     */
    private void copyOf(EmbeddedServer primary) throws IOException {
        long t0 = System.nanoTime();
        synchronized (primary) {
            primary.stop(Shutdown.FAST);
            try {
                files.copyData(primary.files.data());
            } finally {
                primary.startAgain();
            }
        }
        Path signal = Files.createFile(files.data().resolve("standby.signal"));
        account.give(signal);
        log.accept(String.format("copied the data directory of the PostgreSQL on port %d (stopped for it) in %.1f s, for a standby",
            primary.port(), (System.nanoTime() - t0) / 1e9));
    }

    private void checkCancelled() throws IOException {
        if (cancelled) throw new IOException("stopped: the embedded PostgreSQL is being shut down");
    }

    private void startServer(Path data) throws IOException {
        Path logFile = dir.resolve("server.log");
        if (!Files.exists(logFile)) {
            Files.createFile(logFile);
            account.give(logFile);        // pg_ctl -l server.log, after keepFiles(true), writes to it as the server's account
        }
        long logStart = Files.size(logFile);   // what an earlier start wrote is not this start's reason
        ProcessBuilder b = files.processBuilder(List.of(files.bin("postgres"), "-D", data.toString()));
        b.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        long t0 = System.nanoTime();
        process = b.start();
        process.getOutputStream().close();
        try {
            version = Readiness.await(process, url("postgres"), logFile, logStart, START_TIMEOUT_MS, () -> cancelled);
        } catch (IOException e) {
            if (!process.isAlive()) process = null;
            throw e;
        }
        log.accept(String.format("started PostgreSQL %s on 127.0.0.1:%d in %.1f s", version, port,
            (System.nanoTime() - t0) / 1e9));
    }

    /**
     * Stops the server ({@code mode}) and waits until every one of its processes has ended; {@link
     * #startAgain()} brings it back. The directory stays.
     */
    public synchronized void stop(Shutdown mode) {
        if (closed) throw new IllegalStateException("closed");
        stopServer(mode);
    }

    /** Starts the stopped server again, on the same port and data directory. */
    public synchronized void startAgain() throws IOException {
        if (closed) throw new IllegalStateException("closed");
        if (process != null) throw new IllegalStateException("the embedded PostgreSQL is running");
        synchronized (writing) {
            startServer(dir.resolve("data"));
        }
    }

    /** {@link #stop} then {@link #startAgain()}: with {@link Shutdown#IMMEDIATE}, a server crash and its recovery. */
    public synchronized void restart(Shutdown mode) throws IOException {
        stop(mode);
        startAgain();
    }

    /** Whether the server's postmaster is running (it may be refusing connections while it recovers). */
    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** The server's address for {@code database}, as the superuser (no password: trust authentication). */
    public ServerAddress url(String database) {
        return new ServerAddress("127.0.0.1", port, SUPERUSER, database);
    }

    /** The maintenance database's address (database {@code postgres}). */
    public ServerAddress adminUrl() { return url("postgres"); }

    public int port() { return port; }

    /** The server's {@code server_version}, e.g. {@code 18.4}. */
    public String version() { return version; }

    /** The temporary directory holding the binaries, the cluster and the log. */
    public Path directory() { return dir; }

    /** With {@code true}, {@link #close()} stops the server but leaves its directory for inspection. */
    public synchronized EmbeddedServer keepFiles(boolean keep) {
        this.keepFiles = keep;
        return this;
    }

    /** How to start the kept server again, as a shell line (run as the account that owns the data). */
    public String restartCommand() {
        return files.shellCommand(List.of(files.bin("pg_ctl"), "-D", dir.resolve("data").toString(), "-l",
            dir.resolve("server.log").toString(), "-w", "start"));
    }

    /** How to stop the restarted server, as a shell line. */
    public String stopCommand() {
        return files.shellCommand(List.of(files.bin("pg_ctl"), "-D", dir.resolve("data").toString(), "-w", "stop"));
    }

    /** Stops the server and, unless kept, deletes its directory. Idempotent; never throws. */
    @Override
    public void close() {
        cancelled = true;            // before the lock: a start in progress (startAgain) stops waiting and lets go of it
        closeInternal(false);
    }

    private void closeFromHook() {
        cancelled = true;
        closeInternal(true);
    }

    private synchronized void closeInternal(boolean fromHook) {
        if (closed) return;
        closed = true;
        cancelled = true;
        if (!fromHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to: it will find closed == true
            }
        }
        stopHelper();                // an initdb in progress ends now, so that start() lets go of the files
        synchronized (writing) {
            try {
                stopServer(Shutdown.FAST);
            } catch (RuntimeException e) {
                log.accept("could not stop the embedded PostgreSQL cleanly: " + e);
            }
            if (keepFiles) return;
            try {
                ServerDirectory.deleteTree(dir);
            } catch (IOException | UncheckedIOException e) {
                log.accept("could not delete " + dir + ": " + e);
            }
        }
    }

    /** initdb: SIGTERM (it removes what it made and exits), then SIGKILL for it and its children. */
    private void stopHelper() {
        Process running = helper;
        if (running == null) return;
        List<ProcessHandle> all = new ArrayList<>();
        all.add(running.toHandle());
        running.descendants().forEach(all::add);
        Processes.stop(running.toHandle(), "TERM", all, 10_000);
    }

    /**
     * The shutdown's signal to the postmaster, then SIGKILL for the server and every process it
     * started if they are still there after a while.
     */
    private void stopServer(Shutdown mode) {
        Process p = process;
        if (p == null) return;
        process = null;
        List<ProcessHandle> all = new ArrayList<>();
        all.add(p.toHandle());
        p.descendants().forEach(all::add);
        ProcessHandle postmaster = files.postmaster(p, all);
        if (!Processes.stop(postmaster, mode.signal, all, STOP_TIMEOUT_MS)) {
            log.accept("the embedded PostgreSQL did not stop within " + STOP_TIMEOUT_MS / 1000 + " s; killed it");
        }
    }

    /** A TCP port free on the loopback interface now (for a server of the tests' own, such as the embedded one or a pooler). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
