package org.pgbackfill.source;

import org.pgbackfill.fs.FileTrees;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Where large chat documents are spooled while they are extracted (raw chat content: files of
 * mode 0600, in a directory of mode 0700). Each process has its own directory,
 * {@code java.io.tmpdir/pgbackfill-spool/run-PID-RANDOM}, made on first use and deleted when the
 * JVM exits (normally, or on SIGINT/SIGTERM); every file is deleted as soon as its document is
 * extracted. A process killed outright leaves its directory behind: the next process to spool
 * removes every directory whose process is gone, and the loose files older versions left in
 * {@code java.io.tmpdir} once they are an hour old.
 */
public final class Spool {
    static final String PARENT = "pgbackfill-spool";
    private static final Duration LOOSE_FILE_AGE = Duration.ofHours(1);
    private static Path directory;

    private Spool() { }

    /** A new, empty file of mode 0600 in this process's spool directory; the caller deletes it. */
    public static Path newFile(String prefix, String suffix) throws IOException {
        return Files.createTempFile(directory(), prefix, suffix);   // POSIX: rw------- by default
    }

    /** This process's directory (made, and the leftovers of dead processes removed, on first use). */
    static synchronized Path directory() throws IOException {
        if (directory != null && Files.isDirectory(directory)) return directory;
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path parent = tmp.resolve(PARENT);
        Files.createDirectories(parent);
        removeLeftovers(tmp, parent);
        Path own = parent.resolve("run-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(own, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (directory == null) {
            Runtime.getRuntime().addShutdownHook(new Thread(Spool::deleteOwn, "pgbackfill-spool-cleanup"));
        }
        directory = own;
        return own;
    }

    /** Removes the directories of processes that no longer run, and older versions' loose spool files past their hour. */
    static void removeLeftovers(Path tmp, Path parent) throws IOException {
        // another process cleaning at the same time, or another user's files in a shared /tmp: never a reason to fail a load
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, "run-*")) {
            for (Path d : dirs) {
                long pid = pidOf(d.getFileName().toString());
                if (pid > 0 && pid != ProcessHandle.current().pid() && ownerRuns(pid, d)) continue;
                if (pid == ProcessHandle.current().pid() && d.equals(directory)) continue;
                try {
                    FileTrees.delete(d);
                } catch (IOException e) {
                    // left for its owner, or for the next run
                }
            }
        }
        Instant before = Instant.now().minus(LOOSE_FILE_AGE);
        try (DirectoryStream<Path> loose = Files.newDirectoryStream(tmp, "{pgbackfill-chat-*.json,pgbackfill-catchup*.copy}")) {
            for (Path f : loose) {
                try {
                    FileTime modified = Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS);
                    if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) && modified.toInstant().isBefore(before)) Files.deleteIfExists(f);
                } catch (IOException e) {
                    // gone already, or not ours
                }
            }
        }
    }

    /**
     * Whether the process that made {@code dir} still runs: its pid is alive, and that process
     * started before the directory was made (a pid reused by a later process does not keep a dead
     * run's files). Where the start time cannot be read, a live pid counts as the owner.
     */
    private static boolean ownerRuns(long pid, Path dir) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (h.isEmpty()) return false;
        Optional<Instant> started = h.get().info().startInstant();
        if (started.isEmpty()) return true;
        try {
            Instant made = Files.readAttributes(dir, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                .lastModifiedTime().toInstant();
            // start instants are derived from boot time and clock ticks: a second of slack
            return !started.get().isAfter(made.plusSeconds(1));
        } catch (IOException e) {
            return true;
        }
    }

    private static long pidOf(String name) {
        String[] parts = name.split("-");
        try {
            return parts.length >= 2 ? Long.parseLong(parts[1]) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static synchronized void deleteOwn() {
        if (directory == null) return;
        try {
            FileTrees.delete(directory);
        } catch (IOException | UncheckedIOException e) {
            // the JVM is ending; the next run removes what is left
        }
    }
}
