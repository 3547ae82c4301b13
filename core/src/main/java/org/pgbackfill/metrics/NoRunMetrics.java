package org.pgbackfill.metrics;

import org.pgbackfill.control.Throttle;
import org.pgbackfill.phase.Phase;
import org.pgbackfill.phase.PhaseReport;

import java.util.Map;
import java.util.function.ToDoubleFunction;

/** {@link RunMetrics#NONE}: every call returns at once, and nothing it is handed is kept or called. */
enum NoRunMetrics implements RunMetrics {
    INSTANCE;

    @Override public void job(String name, String writes) { }
    @Override public void phaseStarted(Phase p) { }
    @Override public void phaseFinished(PhaseReport r) { }
    @Override public void loadCounters(LoadCounts round) { }
    @Override public void copyCommitted(long rows, long nanos) { }
    @Override public void settled(long rows) { }
    @Override public void workerRead(String worker, long documentBytes) { }
    @Override public void retried(String what) { }
    @Override public <T> void ringOccupancy(T ring, ToDoubleFunction<T> used) { }
    @Override public void rangeStates(Map<String, Long> states) { }
    @Override public void walWritten(long bytes) { }
    @Override public void held(Throttle throttle) { }
    @Override public void rejected(String reason, long n) { }
}
