package org.pgbackfill.source;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Spooled documents are raw chat content: private files, in a directory of the process's own, and nothing a killed run left stays. */
class SpoolTest {
    @Test
    void filesArePrivateAndWhatDeadProcessesLeftIsRemoved() throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path parent = Files.createDirectories(tmp.resolve(Spool.PARENT));
        long dead = deadPid();
        Path left = Files.createDirectories(parent.resolve("run-" + dead + "-deadbeef"));
        Files.writeString(left.resolve("chat-1.json"), "{\"a raw\": \"document\"}");
        Path alive = Files.createDirectories(parent.resolve("run-1-cafecafe"));   // pid 1 is always running
        // pid 1 again, but the directory is older than pid 1's process: a dead run's pid, reused since
        Path reused = Files.createDirectories(parent.resolve("run-1-0ldd1r00"));
        Files.setLastModifiedTime(reused, FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
        Path oldLoose = Files.writeString(tmp.resolve("pgbackfill-chat-" + dead + ".json"), "{}");
        Files.setLastModifiedTime(oldLoose, FileTime.from(Instant.now().minusSeconds(2 * 3600)));
        Path freshLoose = Files.writeString(tmp.resolve("pgbackfill-chat-" + dead + "-fresh.json"), "{}");
        try {
            Spool.removeLeftovers(tmp, parent);
            assertFalse(Files.exists(left), "a dead process's spool directory is removed");
            assertTrue(Files.exists(alive), "a running process's is kept");
            assertFalse(Files.exists(reused), "one whose pid now belongs to a process started after it was made is removed");
            assertFalse(Files.exists(oldLoose), "an older version's loose file, an hour old, is removed");
            assertTrue(Files.exists(freshLoose), "a recent one may still be in use");

            Path f = Spool.newFile("chat-", ".json");
            try {
                assertEquals(Spool.directory(), f.getParent());
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
                assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f.getParent())));
                assertTrue(f.getParent().getFileName().toString().startsWith("run-" + ProcessHandle.current().pid() + "-"));
            } finally {
                Files.deleteIfExists(f);
            }
        } finally {
            Files.deleteIfExists(alive);
            Files.deleteIfExists(freshLoose);
        }
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }
}
