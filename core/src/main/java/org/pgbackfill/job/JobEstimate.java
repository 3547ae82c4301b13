package org.pgbackfill.job;

/**
 * What a job's dry run found: its calibration (documents read from a sample, as its load reads
 * them), what a run would take in time and on the server's disk, and the lines that say it.
 *
 * @param sampledChats        chats the calibration read
 * @param sampledBytes        bytes of their documents
 * @param sampledSeconds      how long reading and deciding them took, on one connection
 * @param bytesPerSecond      the rate of one connection, after the JIT's warm-up ({@link SampleClock})
 * @param loadSeconds         the load, with the request's workers
 * @param afterLoad           what comes after the load, in a few words ("indexes", "merge")
 * @param afterLoadSeconds    how long that takes
 * @param serverBytes         what the run adds on the server's disk at most (tables, indexes, WAL)
 * @param made                what the run makes, for plan: a line ending in a newline
 * @param disk                the disk it needs on the server, for plan: a line ending in a newline
 */
public record JobEstimate(long sampledChats, long sampledBytes, double sampledSeconds, double bytesPerSecond, double loadSeconds, String afterLoad,
                          double afterLoadSeconds, long serverBytes, String made, String disk) {
    /** The whole run: the load, then what comes after. */
    public double totalSeconds() { return loadSeconds + afterLoadSeconds; }
}
