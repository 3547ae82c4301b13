package org.pgbackfill.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.pgbackfill.db.DatabaseUrl;

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
 * <p>The server is found once per JVM, in this order: the admin URL in
 * {@value #URL_VARIABLE}; a Docker engine through Testcontainers (one {@code postgres:15}
 * container for the whole JVM); the local server at 127.0.0.1:5432, user postgres, trust auth.
 * When none answers, the test fails (it does not skip: a suite that silently skips its database
 * tests proves nothing) with a message saying how to provide one.
 */
public final class PostgresFixture
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {
    public static final String URL_VARIABLE = "PGBACKFILL_TEST_DATABASE_URL";
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
        return create(databaseName() + "_" + identifierPart(suffix, 20), createOptions);
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

    /** The server, found once per JVM. */
    private static final class Server {
        private static final String LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres";
        private static DatabaseUrl found;
        private static IllegalStateException notFound;
        private static Object container; // keeps the Testcontainers container reachable for the JVM's life

        static synchronized DatabaseUrl get() {
            if (found != null) return found;
            if (notFound != null) throw notFound;
            List<String> tried = new ArrayList<>();
            String explicit = System.getenv(URL_VARIABLE);
            if (explicit != null && !explicit.isBlank()) {
                // Given explicitly: use it or fail, never fall back to something else silently.
                DatabaseUrl u = DatabaseUrl.parse(explicit);
                String problem = probe(u);
                if (problem == null) return found = u;
                throw notFound = new IllegalStateException(URL_VARIABLE + " is set but " + u + " does not answer: " + problem);
            }
            tried.add(URL_VARIABLE + " is not set");
            String docker = tryDocker();
            if (found != null) return found;
            tried.add(docker);
            DatabaseUrl local = DatabaseUrl.parse(LOCAL);
            String problem = probe(local);
            if (problem == null) return found = local;
            tried.add("local server " + local + ": " + problem);
            throw notFound = new IllegalStateException("no PostgreSQL server for the tests (" + String.join("; ", tried)
                + "). Provide one: set " + URL_VARIABLE + "=postgresql://user:password@host:5432/postgres "
                + "(an account that may CREATE DATABASE), or start Docker, or start the local server with "
                + "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`");
        }

        /** Starts the shared container if a Docker engine answers; returns why not otherwise. */
        private static String tryDocker() {
            quietTestcontainersProbe();
            try {
                if (!org.testcontainers.DockerClientFactory.instance().isDockerAvailable()) {
                    return "no Docker engine for Testcontainers";
                }
                var pg = new org.testcontainers.containers.PostgreSQLContainer<>(
                    org.testcontainers.utility.DockerImageName.parse("postgres:15"));
                pg.start();
                container = pg;
                found = DatabaseUrl.parse("postgresql://" + pg.getUsername() + ":" + pg.getPassword() + "@"
                    + pg.getHost() + ":" + pg.getMappedPort(5432) + "/" + pg.getDatabaseName());
                return null;
            } catch (Throwable t) { // Testcontainers reports a missing engine in many ways; all mean "not here"
                return "Testcontainers could not start postgres:15: " + t;
            }
        }

        // Without Docker, Testcontainers logs an ERROR with a stack of strategies it tried. That is
        // expected here, not a problem, so silence those loggers unless the user configured them.
        // (slf4j-simple fixes a logger's level when it is created, so this must run first.)
        private static void quietTestcontainersProbe() {
            quietLogger("org.testcontainers.dockerclient", "off");
            quietLogger("org.testcontainers.DockerClientFactory", "warn");
        }

        private static void quietLogger(String logger, String level) {
            String key = "org.slf4j.simpleLogger.log." + logger;
            if (System.getProperty(key) == null) System.setProperty(key, level);
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
