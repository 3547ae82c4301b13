package org.pgbackfill.job;

import org.pgbackfill.source.RangePlanner;

/**
 * What a job's dry run ({@link Job#estimate}) is given: the plan of ranges over the chats it reads,
 * how long it may sample, and what a run would use.
 *
 * @param plan               the ranges a run would use (sizes from the table's statistics)
 * @param workers            the workers a run would use
 * @param calibrationSeconds how long to read sample documents
 * @param nowEpoch           the "now" of timestamp rules, in epoch seconds
 * @param inlineBytes        documents above this are spooled by a run (and left out of the sample)
 * @param asciiJson          the server's encoding is neither UTF8 nor SQL_ASCII (see SchemaCheck.Facts)
 * @param atStartRevision    the database is at the job's start revision; false when the estimate is
 *                           for a later step of the upgrade path (what the job reads may not exist yet)
 */
public record DryRunRequest(RangePlanner.Plan plan, int workers, double calibrationSeconds, long nowEpoch, int inlineBytes,
                            boolean asciiJson, boolean atStartRevision) {
    /** The cores the workers can use on this machine: the sample runs on one. */
    public int parallelism() {
        return Math.max(1, Math.min(workers, Runtime.getRuntime().availableProcessors()));
    }

    /** A sample's ratio per stored byte, scaled to the plan's stored bytes (known exactly, unlike sizes per chat). */
    public long scaled(double sampled, long sampledStoredBytes) {
        return sampledStoredBytes <= 0 ? 0 : (long) (sampled / sampledStoredBytes * plan.estimatedBytes());
    }
}
