package org.pgbackfill.bench;

import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.extract.MessageRow;
import org.pgbackfill.extract.RejectReason;
import org.pgbackfill.schema.TargetSchema;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Baseline: the algorithm of upstream's PostgreSQL path of revision {@code 8452d01d26d7}
 * ({@code _upgrade_postgresql} in {@code 8452d01d26d7_add_chat_message_table.py}) re-created in
 * Java, so that the benchmark compares architectures, not languages or parsers.
 *
 * <p>What it does, as upstream does it: ONE thread on ONE connection, session left at its defaults.
 * <ol>
 * <li>{@code CREATE TABLE chat_message} with its primary key only ({@link TargetSchema#CREATE_TABLE}); commit.</li>
 * <li>The high-water mark {@code max(id)} of the chats to read, then keyset pages of 100 chats:
 *     {@code SELECT id, user_id, chat FROM chat WHERE id > ? AND user_id NOT LIKE 'shared-%' AND id <= ?
 *     ORDER BY id LIMIT 100}, each page fetched whole, the documents read as text.</li>
 * <li>The page's rows are extracted, then inserted in multi-row {@code INSERT … VALUES (…),(…) ON CONFLICT
 *     (id) DO NOTHING} statements of up to 3000 rows (17 bound parameters a row, 51,000 a statement),
 *     each inside a savepoint; when a statement fails, its rows are inserted one by one, each in its
 *     own savepoint, and those that fail are counted and lost (upstream logs them). Commit per page.</li>
 * <li>The seven secondary indexes one after another ({@link TargetSchema#INDEXES}), a commit after each.</li>
 * <li>The foreign key {@code NOT VALID} (commit), {@code DELETE} of rows whose chat vanished (commit),
 *     {@code VALIDATE CONSTRAINT} (commit).</li>
 * </ol>
 *
 * <p>Where it differs from upstream, on purpose: the rows come from the project's own extractor
 * ({@link MessageExtractor}, streaming Jackson) instead of {@code json.loads} plus a Python loop, and
 * messages the extractor rejects (SPEC section 6) are skipped, as upstream's failed inserts are lost.
 * Bind values are sent as prepared-statement parameters (psycopg2 interpolates literals client-side);
 * JSON columns are bound as text of unspecified type, which the server types as {@code json} from the
 * target column, as it types psycopg2's quoted literal. {@code alembic_version} is not touched (the
 * upstream code commits inside the migration, so Alembic's own bump is lost anyway).
 */
public final class UpstreamBaseline {
    public static final int CHAT_PAGE_SIZE = 100;
    public static final int BATCH_SIZE = 3000;
    private static final int COLUMNS = 17;
    private static final long PROGRESS_NANOS = 10_000_000_000L;

    private UpstreamBaseline() { }

    /**
     * Runs the whole migration on {@code c} (left in manual-commit mode) with {@code nowEpoch} as the
     * fixed "now" of the timestamp rule; {@code progress} (may be null) gets a line every ~10 s.
     */
    public static BaselineResult run(Connection c, long nowEpoch, PrintStream progress) throws SQLException {
        PrintStream out = progress != null ? progress : new PrintStream(OutputStream.nullOutputStream());
        c.setAutoCommit(false);
        long t0 = System.nanoTime();

        // Phase 1: the table, primary key only
        try (Statement st = c.createStatement()) {
            st.execute(TargetSchema.CREATE_TABLE);
        }
        c.commit();

        // Phase 2: keyset pages, per-page commits
        Loader loader = new Loader(c, nowEpoch, out);
        loader.load();
        long t1 = System.nanoTime();
        out.printf(Locale.ROOT, "  upstream: load done: %d chats, %.1f MB of documents, %d rows inserted, %d skipped, %.1f s%n",
            loader.chats, loader.documentBytes / 1e6, loader.inserted, loader.rejected + loader.failed, (t1 - t0) / 1e9);

        double[] build = BaselineResult.buildIndexesAndForeignKey(c, "upstream", out);
        long rows = BaselineResult.countRows(c);
        return new BaselineResult("upstream", (t1 - t0) / 1e9, build[0], build[1], (System.nanoTime() - t0) / 1e9,
            loader.chats, loader.documentBytes, rows, loader.rejected + loader.failed);
    }

    /** Phase 2: the single-threaded keyset loop. */
    private static final class Loader implements ExtractionSink {
        private final Connection c;
        private final PrintStream out;
        private final MessageExtractor extractor;
        private final List<MessageRow> page = new ArrayList<>();
        private final Map<Integer, String> insertSql = new HashMap<>();
        long chats, documentBytes, inserted, conflicts, rejected, failed, rejectedChats;

        Loader(Connection c, long nowEpoch, PrintStream out) {
            this.c = c;
            this.out = out;
            this.extractor = new MessageExtractor(nowEpoch);
        }

        void load() throws SQLException {
            String maxId;
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT max(id) FROM chat WHERE user_id NOT LIKE 'shared-%'")) {
                rs.next();
                maxId = rs.getString(1);
            }
            if (maxId == null) {
                c.commit();
                return;
            }
            long start = System.nanoTime(), lastReport = start;
            String lastId = "";
            try (PreparedStatement select = c.prepareStatement("SELECT id, user_id, chat FROM chat WHERE id > ? "
                + "AND user_id NOT LIKE 'shared-%' AND id <= ? ORDER BY id LIMIT " + CHAT_PAGE_SIZE)) {
                while (true) {
                    select.setString(1, lastId);
                    select.setString(2, maxId);
                    int n = 0;
                    page.clear();
                    try (ResultSet rs = select.executeQuery()) {
                        while (rs.next()) {
                            n++;
                            lastId = rs.getString(1);
                            String userId = rs.getString(2);
                            byte[] doc = rs.getBytes(3);     // the json column's text, as the server sent it (UTF-8)
                            if (doc == null) continue;
                            documentBytes += doc.length;
                            try {
                                extractor.extract(lastId, userId, DocumentSource.of(doc), this);
                            } catch (IOException e) {
                                throw new SQLException("extracting chat " + lastId + " failed: " + e.getMessage(), e);
                            }
                        }
                    }
                    if (n == 0) break;
                    chats += n;
                    for (int i = 0; i < page.size(); i += BATCH_SIZE) {
                        flush(page.subList(i, Math.min(page.size(), i + BATCH_SIZE)));
                    }
                    c.commit();
                    page.clear();
                    long now = System.nanoTime();
                    if (now - lastReport >= PROGRESS_NANOS) {
                        lastReport = now;
                        double s = (now - start) / 1e9;
                        out.printf(Locale.ROOT, "  upstream: %d chats, %.1f MB, %d rows inserted, %.0f s (%.1f MB/s)%n",
                            chats, documentBytes / 1e6, inserted, s, documentBytes / 1e6 / s);
                    }
                }
            }
            c.commit();
        }

        /** {@code _flush_batch_pg}: the batch in one statement inside a savepoint, else row by row. */
        private void flush(List<MessageRow> batch) throws SQLException {
            Savepoint sp = c.setSavepoint();
            try {
                int n = insert(batch);
                c.releaseSavepoint(sp);
                inserted += n;
                conflicts += batch.size() - n;
                return;
            } catch (SQLException e) {
                c.rollback(sp);
            }
            for (MessageRow r : batch) {
                Savepoint one = c.setSavepoint();
                try {
                    int n = insert(List.of(r));
                    c.releaseSavepoint(one);
                    inserted += n;
                    conflicts += 1 - n;
                } catch (SQLException e) {
                    c.rollback(one);
                    failed++;
                    out.println("  upstream: failed to insert message " + abbreviate(r.id) + ": "
                        + abbreviate(String.valueOf(e.getMessage()).lines().findFirst().orElse("")));
                }
            }
        }

        private int insert(List<MessageRow> rows) throws SQLException {
            String sql = insertSql.computeIfAbsent(rows.size(), UpstreamBaseline::insertSql);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int k = 1;
                for (MessageRow r : rows) {
                    ps.setString(k++, r.id);
                    ps.setString(k++, r.chatId);
                    ps.setString(k++, r.userId);
                    ps.setString(k++, r.role);
                    ps.setString(k++, r.parentId);
                    k = json(ps, k, r, 0);              // content
                    k = json(ps, k, r, 1);              // output
                    ps.setString(k++, r.modelId);
                    k = json(ps, k, r, 2);              // files
                    k = json(ps, k, r, 3);              // sources
                    k = json(ps, k, r, 4);              // embeds
                    if (r.done == null) ps.setNull(k++, Types.BOOLEAN); else ps.setBoolean(k++, r.done);
                    k = json(ps, k, r, 5);              // status_history
                    k = json(ps, k, r, 6);              // error
                    k = json(ps, k, r, 7);              // usage
                    ps.setLong(k++, r.createdAt);
                    ps.setLong(k++, r.createdAt);       // updated_at
                }
                return ps.executeUpdate();
            }
        }

        /** A JSON column as JSON text ({@code null} literal when absent), typed by the server from the column. */
        private static int json(PreparedStatement ps, int k, MessageRow r, int column) throws SQLException {
            ps.setObject(k, r.json(column), Types.OTHER);
            return k + 1;
        }

        @Override public void row(MessageRow row) { page.add(row); }

        @Override public void rejectedMessage(String chatId, String messageKey, RejectReason reason, String detail, byte[] rawJson) {
            rejected++;      // upstream's INSERT would fail on it: logged and lost
        }

        @Override public void rejectedChat(String chatId, RejectReason reason, String detail, byte[] rawPrefix) {
            rejectedChats++; // upstream: json.loads fails → nothing, or the whole migration aborts
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "…";
    }

    /** {@code INSERT INTO chat_message (…) VALUES (?, …), … ON CONFLICT (id) DO NOTHING} for {@code rows} rows. */
    static String insertSql(int rows) {
        StringBuilder one = new StringBuilder("(");
        for (int i = 0; i < COLUMNS; i++) one.append(i == 0 ? "?" : ",?");
        one.append(')');
        StringBuilder sql = new StringBuilder(64 + rows * (one.length() + 1));
        sql.append("INSERT INTO chat_message (").append(TargetSchema.COLUMNS).append(") VALUES ");
        for (int i = 0; i < rows; i++) {
            if (i > 0) sql.append(',');
            sql.append(one);
        }
        return sql.append(" ON CONFLICT (id) DO NOTHING").toString();
    }
}
