package org.pgbackfill.job;

/** A range whose recorded counts are not what the tables hold (found by a job's reconciliation). */
public record RangeDifference(String target, int rangeId, String lo, String hi, long recordedRows, long actualRows,
                              long recordedChats, long actualChats) {
    public String describe() {
        return "range " + rangeId + " (" + (lo == null ? "start" : "'" + lo + "'") + ", " + (hi == null ? "end" : "'" + hi + "'") + "]: "
            + (recordedRows != actualRows ? "recorded " + recordedRows + " rows, " + target + " holds " + actualRows : "")
            + (recordedRows != actualRows && recordedChats != actualChats ? "; " : "")
            + (recordedChats != actualChats ? "read " + recordedChats + " chats, chat holds " + actualChats : "");
    }
}
