package org.pgbackfill.testing;

import org.junit.jupiter.api.Assumptions;
import org.pgbackfill.db.DatabaseUrl;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Properties;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real PgBouncer (the {@code pgbouncer} Debian package) in front of the test server, as many
 * operators run one in front of managed PostgreSQL: every database of the server, on a free port
 * of 127.0.0.1, in {@link PoolMode#TRANSACTION}, {@link PoolMode#SESSION} or {@link PoolMode#STATEMENT} pooling.
 *
 * <pre>
 * try (PgBouncer bouncer = PgBouncer.start(PgBouncer.PoolMode.TRANSACTION)) {
 *     DatabaseUrl throughIt = bouncer.url(pg.url());
 * }
 * </pre>
 *
 * <p>Clients authenticate to PgBouncer with {@code auth_type = trust}; PgBouncer still knows only
 * the users of its auth file: the server's admin user, and those given to {@link #allowUser}. It
 * passes each on to the server, so a limited role stays limited. Its settings are PgBouncer's
 * defaults (no prepared-statement support in transaction mode before 1.21, {@code DISCARD ALL}
 * between session clients) except {@code ignore_startup_parameters = extra_float_digits}, which
 * every JDBC deployment sets. Where the binary is missing, {@link #start} skips the test, saying
 * so (never silently). As root, PgBouncer drops to the account {@code nobody} (it refuses root).
 */
public final class PgBouncer implements AutoCloseable {
    public enum PoolMode { SESSION, TRANSACTION, STATEMENT }

    private static final Pattern SERVER = Pattern.compile("jdbc:postgresql://([^/:?]+)(?::(\\d+))?/([^?]*)");

    private final Path dir;
    private final PoolMode mode;
    private final int port;
    private final String serverHost;
    private final int serverPort;
    private final Map<String, String> users = new LinkedHashMap<>();   // user → password PgBouncer logs in to the server with
    private Process process;

    private PgBouncer(Path dir, PoolMode mode, int port, String serverHost, int serverPort) {
        this.dir = dir;
        this.mode = mode;
        this.port = port;
        this.serverHost = serverHost;
        this.serverPort = serverPort;
    }

    /** Where the binary is, or null: {@code pgbouncer} on the PATH, or Debian's {@code /usr/sbin/pgbouncer}. */
    public static Path binary() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"));
        for (String d : dirs) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, "pgbouncer");
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /**
     * Starts PgBouncer in front of the server the tests use ({@link PostgresFixture#serverUrl()}).
     * Skips the calling test, with the reason printed, when there is no pgbouncer binary.
     */
    public static PgBouncer start(PoolMode mode) throws IOException, SQLException {
        Path binary = binary();
        if (binary == null) {
            String why = "no pgbouncer binary on this machine (apt-get install pgbouncer): the tests through PgBouncer are skipped";
            System.out.println("[PgBouncer] skipped: " + why);
            Assumptions.abort(why);
        }
        DatabaseUrl admin = PostgresFixture.serverUrl();
        Matcher m = SERVER.matcher(admin.jdbcUrl());
        if (!m.find()) throw new IllegalStateException("cannot read host and port of " + admin);
        Path dir = Files.createTempDirectory("pgbackfill-pgbouncer-");
        // others may read and pass: as root, PgBouncer runs as nobody and re-reads its files on reload
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        PgBouncer b = new PgBouncer(dir, mode, org.pgbackfill.embedded.EmbeddedServer.freePort(), m.group(1), m.group(2) == null ? 5432 : Integer.parseInt(m.group(2)));
        b.users.put(admin.user() == null ? System.getProperty("user.name") : admin.user(), admin.properties().getProperty("password", ""));
        try {
            b.writeFiles();
            b.launch(binary);
            return b;
        } catch (IOException | SQLException | RuntimeException e) {
            b.close();
            throw e;
        }
    }

    /** Lets {@code user} in as well (PgBouncer reloads its auth file); the server decides what the user may do. */
    public synchronized void allowUser(String user) throws IOException {
        allowUser(user, "");
    }

    /** The same, for a user the server asks a password of. */
    public synchronized void allowUser(String user, String password) throws IOException {
        if (password.equals(users.put(user, password))) return;
        writeFiles();
        ProcessBuilder kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).redirectErrorStream(true);
        try {
            Process k = kill.start();
            if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) throw new IOException("could not signal pgbouncer to reload");
            Thread.sleep(300);   // the reload is asynchronous; it takes a few milliseconds
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    public PoolMode mode() { return mode; }

    public int port() { return port; }

    /** {@code direct}'s database, user and password, through PgBouncer ({@code prepareThreshold=0} unless in session mode). */
    public DatabaseUrl url(DatabaseUrl direct) {
        Matcher m = SERVER.matcher(direct.jdbcUrl());
        if (!m.find()) throw new IllegalArgumentException("cannot read the database of " + direct);
        Properties p = direct.properties();
        StringBuilder u = new StringBuilder("jdbc:postgresql://127.0.0.1:").append(port).append('/').append(m.group(3));
        char sep = '?';
        if (mode != PoolMode.SESSION) {
            // what JDBC users behind transaction pooling set: no named statements, which the next client of the session would meet
            u.append("?prepareThreshold=0");
            sep = '&';
        }
        for (String key : new String[] {"user", "password"}) {
            String v = p.getProperty(key);
            if (v == null) continue;
            u.append(sep).append(key).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
            sep = '&';
        }
        return DatabaseUrl.parse(u.toString());
    }

    /** PgBouncer's output so far (its log), for failure messages. */
    public String log() {
        try {
            return Files.readString(dir.resolve("pgbouncer.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /**
     * Kills PgBouncer (SIGKILL: what its shutdown signals mean changed across versions, and a test
     * fixture has nothing to drain) and deletes its files; its clients' and server sessions end.
     */
    @Override
    public synchronized void close() {
        Process p = process;
        process = null;
        if (p != null) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            System.out.println("[PgBouncer] could not delete " + dir + ": " + e.getMessage());
        }
    }

    private void writeFiles() throws IOException {
        StringBuilder auth = new StringBuilder();
        // plain-text passwords: PgBouncer logs in to the server with them
        users.forEach((u, pw) -> auth.append('"').append(u.replace("\"", "\"\"")).append("\" \"")
            .append(pw.replace("\"", "\"\"")).append("\"\n"));
        write("userlist.txt", auth.toString());
        String ini = "[databases]\n"
            + "* = host=" + serverHost + " port=" + serverPort + "\n"
            + "[pgbouncer]\n"
            + "listen_addr = 127.0.0.1\n"
            + "listen_port = " + port + "\n"
            + "unix_socket_dir =\n"
            + "auth_type = trust\n"
            + "auth_file = " + dir.resolve("userlist.txt") + "\n"
            + "admin_users = " + users.keySet().iterator().next() + "\n"
            + "pool_mode = " + mode.name().toLowerCase(java.util.Locale.ROOT) + "\n"
            + "max_client_conn = 500\n"
            + "default_pool_size = 20\n"
            + "ignore_startup_parameters = extra_float_digits\n"
            + (isRoot() ? "user = nobody\n" : "");
        write("pgbouncer.ini", ini);
    }

    private void write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    }

    private void launch(Path binary) throws IOException, SQLException {
        Path log = dir.resolve("pgbouncer.log");
        process = new ProcessBuilder(binary.toString(), dir.resolve("pgbouncer.ini").toString())
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        process.getOutputStream().close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new IOException("pgbouncer exited (" + process.exitValue() + ") while starting:\n" + log());
            Properties p = new Properties();
            p.setProperty("user", users.keySet().iterator().next());
            p.setProperty("password", users.values().iterator().next());
            p.setProperty("connectTimeout", "2");
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p)) {
                if (c.isValid(2)) {
                    System.out.println("[PgBouncer] " + mode.name().toLowerCase(java.util.Locale.ROOT) + " pooling on 127.0.0.1:" + port
                        + " in front of " + serverHost + ":" + serverPort);
                    return;
                }
            } catch (SQLException e) {
                last = e;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        throw new IOException("pgbouncer did not accept connections within 20 s (" + (last == null ? "" : last.getMessage()) + "):\n" + log());
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
