package org.pgbackfill.seed;

/**
 * What {@link ChatSeeder#seed} loaded.
 *
 * @param chats         rows COPY reported loaded into {@code chat}
 * @param documentBytes bytes of {@code chat.chat} documents among them
 * @param copyBytes     bytes sent over the COPY protocol (documents plus the other columns and framing)
 * @param copies        COPY statements run
 * @param seconds       wall time, generation and loading overlapped
 */
public record SeedReport(long chats, long documentBytes, long copyBytes, int copies, double seconds) {
    /** Megabytes (10^6 bytes) of documents per second. */
    public double megabytesPerSecond() {
        return seconds <= 0 ? 0 : documentBytes / 1e6 / seconds;
    }

    @Override public String toString() {
        return String.format("%d chats, %.1f MB of documents in %.1f s (%.1f MB/s, %d COPY statement%s)",
            chats, documentBytes / 1e6, seconds, megabytesPerSecond(), copies, copies == 1 ? "" : "s");
    }
}
