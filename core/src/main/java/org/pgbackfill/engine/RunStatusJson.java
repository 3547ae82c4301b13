package org.pgbackfill.engine;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.pgbackfill.NextStep;

import java.io.IOException;
import java.io.StringWriter;
import java.util.Map;

/** A {@link RunStatus} for machines ({@code status --json}). */
final class RunStatusJson {
    private RunStatusJson() { }

    /** {@code status} as JSON: the fields README's status section lists. */
    static String of(RunStatus s) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("run_id", s.runId());
            g.writeStringField("state", s.state().label());
            g.writeStringField("current_phase", s.currentPhase());
            g.writeStringField("last_completed_phase", s.lastCompletedPhase());
            g.writeNumberField("live_processes", s.liveProcesses());
            g.writeBooleanField("finished", s.finished());
            g.writeBooleanField("online", s.online());
            g.writeBooleanField("paused", s.paused());
            g.writeStringField("hold_reason", s.holdReason());
            g.writeArrayFieldStart("next_steps");
            for (NextStep n : s.nextSteps()) g.writeString(n.name().toLowerCase(java.util.Locale.ROOT));
            g.writeEndArray();
            g.writeNumberField("pending_changes", s.pendingChanges());
            g.writeStringField("toast_compression", s.toastCompression());
            g.writeNumberField("now_epoch", s.nowEpoch());
            g.writeStringField("started_at", s.startedAt());
            g.writeStringField("finished_at", s.finishedAt());
            g.writeObjectFieldStart("ranges");
            for (Map.Entry<String, Long> e : s.rangesByState().entrySet()) g.writeNumberField(e.getKey(), e.getValue());
            g.writeEndObject();
            g.writeNumberField("chats_read", s.chatsRead());
            g.writeNumberField("rows_written", s.rowsWritten());
            g.writeStringField("job", s.job());   // current_message_id: rows_written counts the values its loaded ranges staged
            g.writeNumberField("document_bytes", s.documentBytes());
            g.writeNumberField("planned_bytes", s.plannedBytes());
            g.writeNumberField("loaded_planned_bytes", s.loadedPlannedBytes());
            g.writeNumberField("elapsed_seconds", s.elapsedSeconds());
            g.writeNumberField("ranges_reading", s.reading().ranges());
            g.writeNumberField("reading_planned_bytes", s.reading().plannedUnitsRead());
            g.writeNumberField("reading_document_bytes", s.reading().documentBytesRead());
            if (s.megabytesPerSecond() >= 0) g.writeNumberField("megabytes_per_second", s.megabytesPerSecond());
            else g.writeNullField("megabytes_per_second");
            if (s.loadEtaSeconds() >= 0) g.writeNumberField("load_eta_seconds", s.loadEtaSeconds());
            else g.writeNullField("load_eta_seconds");
            g.writeArrayFieldStart("leases");
            for (RunStatus.Lease l : s.leases()) {
                g.writeStartObject();
                g.writeNumberField("range_id", l.rangeId());
                g.writeStringField("owner", l.owner());
                g.writeStringField("lease_until", l.leaseUntil());
                g.writeNumberField("attempt", l.attempt());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("rejections");
            for (Map.Entry<String, Long> e : s.rejectionsByReason().entrySet()) g.writeNumberField(e.getKey(), e.getValue());
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }
}
