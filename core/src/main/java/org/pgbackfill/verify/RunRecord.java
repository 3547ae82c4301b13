package org.pgbackfill.verify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * What the last finished pgbackfill run left in the tool's schema that a check needs: its fixed
 * "now", and the rows it set aside after extraction (ids two chats produced, values too long for an
 * index, rows PostgreSQL refused), which are expected to be absent from {@code chat_message}.
 * Messages the extractor itself rejects need no record: the check recomputes those.
 *
 * @param runId    the run, or 0 when the schema holds no finished run (a table Open WebUI migrated)
 * @param nowEpoch the run's "now", or null
 * @param rejected chat id → message key → reason
 */
record RunRecord(long runId, Long nowEpoch, Map<String, Map<String, String>> rejected) {
    static final RunRecord NONE = new RunRecord(0, null, Map.of());

    /** Reasons recorded after extraction, so a recomputation cannot know them. */
    private static final String LATE_REASONS = "('DUPLICATE_ID', 'INDEX_ROW_TOO_LARGE', 'COPY_FAILED')";

    static RunRecord read(Connection c, String schema) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL AND to_regclass(?) IS NOT NULL")) {
            ps.setString(1, schema + ".run");
            ps.setString(2, schema + ".rejected_message");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) return NONE;
            }
        }
        long runId;
        long now;
        try (PreparedStatement ps = c.prepareStatement("SELECT run_id, now_epoch FROM " + schema
                + ".run WHERE finished_at IS NOT NULL ORDER BY run_id DESC LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) return NONE;
            runId = rs.getLong(1);
            now = rs.getLong(2);
        }
        Map<String, Map<String, String>> rejected = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT chat_id, message_key, reason, message_key_json FROM " + schema
                + ".rejected_message WHERE run_id = ? AND reason IN " + LATE_REASONS)) {
            ps.setLong(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rejected.computeIfAbsent(rs.getString(1), k -> new HashMap<>())
                        .put(org.pgbackfill.state.Rejection.keyOf(rs.getString(4), rs.getString(2)), rs.getString(3));
                }
            }
        }
        return new RunRecord(runId, now, rejected);
    }
}
