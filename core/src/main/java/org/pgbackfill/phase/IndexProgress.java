package org.pgbackfill.phase;

/**
 * One index the server is building now, as {@code pg_stat_progress_create_index} tells it:
 * its name, the server's step ("scanning table", "sorting live tuples", "loading tuples in tree"),
 * that step's fraction done (-1 where the server gives no figure) and the index's overall fraction
 * (a rough weighting of the steps, for percent and ETA).
 */
public record IndexProgress(String index, String step, double stepFraction, double fraction) {
    /** From the server's phase and counters. */
    public static IndexProgress of(String index, String phase, long blocksTotal, long blocksDone, long tuplesTotal, long tuplesDone) {
        String step = phase == null ? "starting" : phase.replaceFirst("^building index: ", "");
        double blocks = blocksTotal > 0 ? Math.min(1, (double) blocksDone / blocksTotal) : -1;
        double tuples = tuplesTotal > 0 ? Math.min(1, (double) tuplesDone / tuplesTotal) : -1;
        // the heap scan is most of a btree build, the sort and the tree's loading the rest
        return switch (step) {
            case "scanning table" -> new IndexProgress(index, step, blocks, 0.6 * Math.max(0, blocks));
            case "sorting live tuples" -> new IndexProgress(index, step, -1, 0.6);
            case "loading tuples in tree" -> new IndexProgress(index, step, tuples, 0.7 + 0.3 * Math.max(0, tuples));
            default -> new IndexProgress(index, step, -1, 0);
        };
    }
}
