package org.pgbackfill.phase;

/**
 * Told about a run's progress; the CLI turns this into a progress line. Called from engine
 * threads: implementations must be thread-safe and quick.
 */
public interface ProgressListener {
    ProgressListener NONE = new ProgressListener() { };

    /** Tells {@code first}, then {@code then}, of everything: the one place a new event must be passed on. */
    static ProgressListener both(ProgressListener first, ProgressListener then) {
        return new ProgressListener() {
            @Override public void phaseStarted(Phase phase) { first.phaseStarted(phase); then.phaseStarted(phase); }
            @Override public void job(String name, String writes) { first.job(name, writes); then.job(name, writes); }
            @Override public void phaseFinished(PhaseReport report) { first.phaseFinished(report); then.phaseFinished(report); }
            @Override public void planned(long storedBytes) { first.planned(storedBytes); then.planned(storedBytes); }
            @Override public void loadProgress(long bytesRead, double fractionDone, long rowsWritten) {
                first.loadProgress(bytesRead, fractionDone, rowsWritten);
                then.loadProgress(bytesRead, fractionDone, rowsWritten);
            }
            @Override public void buildProgress(int done, int total, java.util.List<IndexProgress> building) {
                first.buildProgress(done, total, building);
                then.buildProgress(done, total, building);
            }
            @Override public void catchUpProgress(int pass, long done, long pending) {
                first.catchUpProgress(pass, done, pending);
                then.catchUpProgress(pass, done, pending);
            }
            @Override public void held(String reason) { first.held(reason); then.held(reason); }
            @Override public void info(String message) { first.info(message); then.info(message); }
        };
    }

    default void phaseStarted(Phase phase) { }

    /** The job is known ({@code name}), and what it writes is called {@code writes} ("rows", "values"); before its first phase's progress. */
    default void job(String name, String writes) { }

    default void phaseFinished(PhaseReport report) { }

    /** The plan is made (or found, resuming): {@code storedBytes} of documents, as stored (compressed), are left to load. */
    default void planned(long storedBytes) { }

    /** During load: bytes of documents read so far, the estimated fraction done (0..0.99), rows written to chat_message. */
    default void loadProgress(long bytesRead, double fractionDone, long rowsWritten) { }

    /**
     * During the build, every second: indexes of chat_message done out of {@code total}, and
     * those the server is building now, with their step and fraction.
     */
    default void buildProgress(int done, int total, java.util.List<IndexProgress> building) { }

    /** During a catch-up pass (online runs): of the {@code pending} changed chats the pass began with, {@code done} are caught up. */
    default void catchUpProgress(int pass, long done, long pending) { }

    /** The run is held now, for {@code reason} (paused, the server under pressure), or no longer (null). */
    default void held(String reason) { }

    /** Something the operator should know (a retry, a skipped step). */
    default void info(String message) { }
}
