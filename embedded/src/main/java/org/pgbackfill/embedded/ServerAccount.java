package org.pgbackfill.embedded;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The operating-system account that runs the embedded server's processes, and how to start a
 * program as it.
 *
 * <p>initdb, pg_ctl and postgres refuse to run as root ("cannot be run as root"). As an ordinary
 * user the server simply runs as that user. As root it runs as an unprivileged account ({@code
 * nobody} unless told otherwise) through {@code setpriv} (util-linux: it changes uid, gid and
 * groups, then execs the program, so the process we start <em>is</em> the server), or {@code
 * runuser} where there is no setpriv. The data directory is then chowned to that account, and
 * every directory above it must let others through.
 */
final class ServerAccount {
    private final String name;          // null: the current user
    private final int uid;
    private final int gid;
    private final List<String> prefix;

    private ServerAccount(String name, int uid, int gid, List<String> prefix) {
        this.name = name;
        this.uid = uid;
        this.gid = gid;
        this.prefix = prefix;
    }

    /** The current user, or {@code userWhenRoot} when we are root. */
    static ServerAccount choose(String userWhenRoot) throws IOException {
        if (currentUid() != 0) return new ServerAccount(null, -1, -1, List.of());
        if (userWhenRoot == null || userWhenRoot.isBlank() || userWhenRoot.equals("root")) {
            throw new IOException("PostgreSQL refuses to run as root: name an unprivileged account to run it as");
        }
        int uid, gid;
        try {
            uid = Integer.parseInt(run("id", "-u", userWhenRoot));
            gid = Integer.parseInt(run("id", "-g", userWhenRoot));
        } catch (IOException | NumberFormatException e) {
            throw new IOException("PostgreSQL refuses to run as root, and there is no account '" + userWhenRoot
                + "' to run it as: create one (useradd --system " + userWhenRoot + "), name another, "
                + "or run this as an ordinary user (" + e.getMessage() + ")");
        }
        if (uid == 0) throw new IOException("the account " + userWhenRoot + " has uid 0; PostgreSQL refuses to run as root");
        Path setpriv = findProgram("setpriv");
        if (setpriv != null) {
            return new ServerAccount(userWhenRoot, uid, gid,
                List.of(setpriv.toString(), "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"));
        }
        Path runuser = findProgram("runuser");
        if (runuser != null) return new ServerAccount(userWhenRoot, uid, gid, List.of(runuser.toString(), "-u", userWhenRoot, "--"));
        throw new IOException("PostgreSQL refuses to run as root, and neither setpriv nor runuser (util-linux) is installed "
            + "to run it as '" + userWhenRoot + "': install util-linux or run this as an ordinary user");
    }

    /** True when the server runs as another account than ours (we are root). */
    boolean switchesUser() { return name != null; }

    /** The account's name, or null for "the current user". */
    String name() { return name; }

    /** {@code program args…} as this account. */
    List<String> command(List<String> programAndArgs) {
        List<String> c = new ArrayList<>(prefix);
        c.addAll(programAndArgs);
        return c;
    }

    /** The same, as a shell line (for instructions printed to the user). */
    String shellCommand(List<String> programAndArgs) {
        StringBuilder b = new StringBuilder();
        for (String s : command(programAndArgs)) {
            if (b.length() > 0) b.append(' ');
            b.append(s.matches("[A-Za-z0-9_@%+=:,./-]+") ? s : "'" + s.replace("'", "'\\''") + "'");
        }
        return b.toString();
    }

    /** Makes {@code dir} this account's, mode 0700 (what PostgreSQL demands of a data directory). */
    void own(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE));
        if (switchesUser()) {
            Files.setAttribute(dir, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(dir, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        }
    }

    /** Makes {@code file} this account's (a log the server appends to when restarted with pg_ctl, a file of a copied cluster). */
    void give(Path file) throws IOException {
        if (switchesUser()) {
            Files.setAttribute(file, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(file, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        }
    }

    /**
     * When another account runs the server, every directory above {@code dir} must let it pass
     * (others' execute bit); names the first that does not.
     */
    void checkReachable(Path dir) throws IOException {
        if (!switchesUser()) return;
        for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IOException("the server runs as '" + name + "' (PostgreSQL refuses root), but " + p
                    + " does not let other users through; use a temporary directory they can reach, e.g. "
                    + "-Djava.io.tmpdir=/tmp");
            }
        }
    }

    private static int currentUid() {
        try {
            return (int) new com.sun.security.auth.module.UnixSystem().getUid();
        } catch (Throwable t) {       // a runtime without the jdk.security.auth module
            try {
                return Integer.parseInt(run("id", "-u"));
            } catch (IOException | NumberFormatException e) {
                return "root".equals(System.getProperty("user.name")) ? 0 : -1;
            }
        }
    }

    private static Path findProgram(String program) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) dirs.addAll(List.of(path.split(":")));
        dirs.addAll(List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin"));
        for (String d : dirs) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** Runs a short command and returns its trimmed standard output; fails on a non-zero exit. */
    static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish");
            }
            String text = new String(out, StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) throw new IOException(String.join(" ", command) + ": " + text);
            return text;
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
