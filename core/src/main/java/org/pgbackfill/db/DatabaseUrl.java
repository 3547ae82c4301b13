package org.pgbackfill.db;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where the database is: accepts Open WebUI's {@code DATABASE_URL} form
 * ({@code postgresql://user:pass@host:port/db}, also {@code postgres://} and
 * {@code postgresql+psycopg2://}) and JDBC URLs ({@code jdbc:postgresql://host/db?user=…}).
 *
 * <p>The password is kept apart from the URL so that {@link #toString()} and every message built
 * from it can never print it.
 */
public final class DatabaseUrl {
    private final String jdbcUrl;      // no credentials in it
    private final String user;
    private final String password;
    private final String display;

    private DatabaseUrl(String jdbcUrl, String user, String password, String display) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.display = display;
    }

    /** The two forms a URL takes, for messages. */
    public static final String FORMS = "postgresql://user:password@host:5432/dbname or jdbc:postgresql://host:5432/dbname";

    /** Parses {@code url}; throws {@link IllegalArgumentException} naming what is wrong (never the password). */
    public static DatabaseUrl parse(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("no database URL given (" + FORMS + ")");
        }
        String u = url.trim();
        if (u.startsWith("jdbc:postgresql:")) return parseJdbc(u);
        int scheme = u.indexOf("://");
        String prefix = scheme < 0 ? "" : u.substring(0, scheme);
        if (!(prefix.equals("postgresql") || prefix.equals("postgres") || prefix.startsWith("postgresql+"))) {
            throw new IllegalArgumentException((scheme < 0 ? "the database URL has no scheme" : "unsupported database URL scheme '"
                + prefix + "'") + ": expected postgresql://user:password@host:port/dbname or jdbc:postgresql://host:port/dbname");
        }
        String rest = u.substring(scheme + 3);
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) { query = rest.substring(q + 1); rest = rest.substring(0, q); }
        String userInfo = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) { userInfo = rest.substring(0, at); rest = rest.substring(at + 1); }
        int slash = rest.indexOf('/');
        String hostPort = slash < 0 ? rest : rest.substring(0, slash);
        String db = slash < 0 ? "" : decode(rest.substring(slash + 1));
        if (hostPort.isEmpty() || query.matches("(?i)(.*&)?host=%2F.*|(.*&)?host=/.*")) {
            // libpq's socket form (host in the query, a directory): pgjdbc needs a third-party socket factory for that
            throw new IllegalArgumentException("Unix-socket database URLs are not supported, only TCP: connect to the server's TCP port, "
                + "e.g. postgresql://user:password@localhost:5432/dbname (the server must listen on TCP: listen_addresses, and "
                + "pg_hba.conf must allow host connections); got " + redactLoosely(u));
        }
        if (db.isEmpty()) throw new IllegalArgumentException("database URL names no database (…/dbname): " + redactLoosely(u));
        validatePort(hostPort, u);
        String user = null, password = null;
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
        }
        Map<String, String> params = parseQuery(query);
        if (user == null) user = params.remove("user");
        if (password == null) password = params.remove("password");
        params.remove("user");
        params.remove("password");
        validateParams(params, u);
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(hostPort).append('/').append(encodePath(db));
        appendParams(jdbc, params);
        String shown = "postgresql://" + (user == null ? "" : user + (password == null ? "" : ":***") + "@")
            + hostPort + "/" + db;
        return new DatabaseUrl(jdbc.toString(), user, password, shown);
    }

    private static DatabaseUrl parseJdbc(String u) {
        String base = u;
        String query = "";
        int q = u.indexOf('?');
        if (q >= 0) { base = u.substring(0, q); query = u.substring(q + 1); }
        if (!base.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("JDBC URL must look like jdbc:postgresql://host:port/dbname, got " + redactLoosely(u));
        }
        Map<String, String> params = parseQuery(query);
        String user = params.remove("user");
        String password = params.remove("password");
        if (base.startsWith("jdbc:postgresql:///") || base.equals("jdbc:postgresql://")) {
            throw new IllegalArgumentException("the JDBC URL has no host: only TCP is supported, not Unix sockets; connect to the server's "
                + "TCP port, e.g. jdbc:postgresql://localhost:5432/dbname; got " + redactLoosely(u));
        }
        validateParams(params, u);
        StringBuilder jdbc = new StringBuilder(base);
        appendParams(jdbc, params);
        String shown = base + (user == null ? "" : " (user " + user + (password == null ? "" : ", password ***") + ")");
        return new DatabaseUrl(jdbc.toString(), user, password, shown);
    }

    private static void validatePort(String hostPort, String u) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0 || hostPort.endsWith("]")) return;
        String port = hostPort.substring(colon + 1);
        if (port.isEmpty() || !port.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("database URL has a malformed port '" + port + "': " + redactLoosely(u));
        }
    }

    /** The sslmode values pgjdbc knows (libpq's); any other is refused here as bad usage, not later as a failed connection. */
    private static final java.util.Set<String> SSL_MODES = java.util.Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    private static void validateParams(Map<String, String> params, String u) {
        String sslmode = params.get("sslmode");
        if (sslmode != null && !SSL_MODES.contains(sslmode)) {
            throw new IllegalArgumentException("database URL has an unknown sslmode '" + sslmode + "' (one of disable, allow, prefer, "
                + "require, verify-ca, verify-full): " + redactLoosely(u));
        }
    }

    private static Map<String, String> parseQuery(String query) {
        Map<String, String> params = new LinkedHashMap<>();
        if (query.isEmpty()) return params;
        for (String kv : query.split("&")) {
            if (kv.isEmpty()) continue;
            int eq = kv.indexOf('=');
            params.put(decode(eq < 0 ? kv : kv.substring(0, eq)), eq < 0 ? "" : decode(kv.substring(eq + 1)));
        }
        return params;
    }

    private static void appendParams(StringBuilder jdbc, Map<String, String> params) {
        char sep = '?';
        for (Map.Entry<String, String> e : params.entrySet()) {
            jdbc.append(sep).append(e.getKey()).append('=').append(java.net.URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
    }

    /**
     * Percent-decodes a URL part. A '%' not followed by two hex digits is taken literally, as
     * libpq and SQLAlchemy users expect of a password pasted unencoded ("50%off"), instead of failing.
     */
    private static String decode(String s) {
        String escaped = s.replace("+", "%2B").replaceAll("%(?![0-9A-Fa-f]{2})", "%25");
        return URLDecoder.decode(escaped, StandardCharsets.UTF_8);
    }

    private static String encodePath(String db) {
        return java.net.URLEncoder.encode(db, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * For any text that may hold a database URL the user typed (a picocli message echoing an
     * argument): every URL's user-info part and every {@code password=} value become {@code ***}.
     */
    public static String redact(String text) {
        if (text == null) return null;
        return text.replaceAll("(?i)(://)[^\\s'\"]*@", "$1***@").replaceAll("(?i)(password=)[^&\\s'\"]*", "$1***");
    }

    /** For messages about a URL we could not parse: drops anything between "://" and "@". */
    static String redactLoosely(String u) {
        int at = u.lastIndexOf('@');
        if (at >= 0) {
            int scheme = u.indexOf("://");
            int from = scheme >= 0 && scheme < at ? scheme + 3 : 0;
            u = u.substring(0, from) + "***" + u.substring(at);
        }
        return u.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    /** JDBC URL without credentials. */
    public String jdbcUrl() { return jdbcUrl; }

    public String user() { return user; }

    /** Connection properties carrying the credentials. */
    public Properties properties() {
        Properties p = new Properties();
        if (user != null) p.setProperty("user", user);
        if (password != null) p.setProperty("password", password);
        return p;
    }

    /**
     * The JDBC URL with user and password as parameters, for handing this URL to another command
     * line parser in the same process. It contains the password: never print or log it.
     */
    public String jdbcUrlWithCredentials() {
        StringBuilder b = new StringBuilder(jdbcUrl);
        char sep = jdbcUrl.contains("?") ? '&' : '?';
        for (String key : new String[] {"user", "password"}) {
            String v = properties().getProperty(key);
            if (v == null) continue;
            b.append(sep).append(key).append('=').append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8));
            sep = '&';
        }
        return b.toString();
    }

    /** Same server, another database (for tests and tools that create databases). */
    public DatabaseUrl withDatabase(String database) {
        String base = jdbcUrl;
        String query = "";
        int q = base.indexOf('?');
        if (q >= 0) { query = base.substring(q); base = base.substring(0, q); }
        int slash = base.indexOf('/', "jdbc:postgresql://".length());
        String hostPart = slash < 0 ? base : base.substring(0, slash);
        return new DatabaseUrl(hostPart + "/" + encodePath(database) + query, user, password,
            display.replaceAll("/[^/ ]*( \\(|$)", "/" + database + "$1"));
    }

    /** Safe to print: the password is replaced by {@code ***}. */
    @Override public String toString() { return display; }
}
