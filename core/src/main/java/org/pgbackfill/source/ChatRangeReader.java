package org.pgbackfill.source;

import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.postgresql.copy.PGCopyInputStream;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Streams one range of {@code chat} with {@code COPY (SELECT …) TO STDOUT (FORMAT binary)} and
 * hands each document to the extractor as it arrives; nothing is collected in memory.
 *
 * <p>Documents longer than the inline limit are not sent in the COPY (the server sends a NULL
 * and their length instead); once the COPY ends each is copied to a temporary file in chunks of
 * characters with {@code substr}, in the same REPEATABLE READ transaction (one snapshot for every
 * read), and extracted from there: a 100 MB document never has to be in memory whole.
 *
 * <p>Public because {@code pgbackfill verify} reads {@code chat} exactly the same way (the same
 * predicate, the same documents): {@link #readInTransaction} hands every chat of a range to a
 * {@link DocumentHandler} inside a transaction the caller opened with {@link #beginSnapshot}.
 */
public final class ChatRangeReader {
    /** What one range produced. */
    public record Totals(long chats, long documentBytes) { }

    /** Receives each chat of a range; {@code doc} is null when the document is SQL NULL. */
    public interface DocumentHandler {
        void document(String chatId, String userId, DocumentSource doc) throws IOException;
    }

    private static final int CHUNK_BYTES = 4 << 20;

    /** Running totals over all readers, for progress: document bytes, and stored bytes as the planner counts them. */
    public record Counters(AtomicLong chats, AtomicLong documentBytes, AtomicLong plannedBytes) {
        public Counters() { this(new AtomicLong(), new AtomicLong(), new AtomicLong()); }
    }

    private final Connection conn;
    private final int inlineLimit;
    private final Counters counters;
    private final Scope scope;
    /** The same for this reader's range alone (the load records it for status), or null. */
    private final Counters rangeCounters;
    /**
     * The load reuses one buffer for the documents it reads (the extractor copies what it keeps),
     * instead of a new array per document: most of the garbage, and the large documents would be
     * humongous objects for G1.
     */
    private final boolean reuseBuffer;
    private byte[] buffer = new byte[0];

    public ChatRangeReader(Connection conn, int inlineLimit, Scope scope, Counters counters, Counters rangeCounters) {
        this.conn = conn;
        this.scope = scope;
        this.inlineLimit = inlineLimit;
        this.counters = counters;
        this.rangeCounters = rangeCounters;
        this.reuseBuffer = true;
    }

    /** A reader for callers that keep no running totals (documents longer than {@code inlineLimit} bytes are read in chunks). */
    public ChatRangeReader(Connection conn, int inlineLimit, Scope scope) {
        this.conn = conn;
        this.scope = scope;
        this.inlineLimit = inlineLimit;
        this.counters = new Counters();
        this.rangeCounters = null;
        this.reuseBuffer = false;
    }

    /** Opens the REPEATABLE READ, READ ONLY transaction every read of a range runs in: one snapshot. */
    public static void beginSnapshot(Connection conn) throws SQLException {
        conn.setAutoCommit(false);
        try (Statement st = conn.createStatement()) {
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        }
    }

    /** Extracts every document of the range in its own snapshot transaction (the load phase). */
    public Totals read(KeyRange range, MessageExtractor extractor, ExtractionSink sink, ReadGate throttle)
            throws SQLException, IOException {
        beginSnapshot(conn);
        Totals totals = readInTransaction(range, "", (id, userId, doc) -> {
            if (doc == null) return;   // SQL NULL document: nothing to extract
            extractor.extract(id, userId, doc, sink);
            throttle.admitRead(doc.length());
        });
        conn.commit();
        return totals;
    }

    /**
     * Hands every chat of the range that the job reads (its {@link Scope}) to
     * {@code handler}, in the caller's transaction (see {@link #beginSnapshot}); documents longer than
     * the inline limit come last, from a temporary file. {@code extraPredicate}, empty or starting
     * with {@code AND}, narrows the chats further (a sample).
     */
    public Totals readInTransaction(KeyRange range, String extraPredicate, DocumentHandler handler) throws SQLException, IOException {
        long chats = 0, bytes = 0;
        List<String[]> large = new ArrayList<>();
        List<Long> largeLength = new ArrayList<>();
        // json has no binary cast to text: chat::text is an I/O conversion that detoasts (decompresses) the whole
        // document, so it is done once per row, in a subquery kept apart by OFFSET 0, and its length and the
        // document sent are both taken from that one value (written twice, it decompressed every document twice).
        String sql = "COPY (SELECT id, user_id, CASE WHEN octet_length(t) <= " + inlineLimit + " THEN t END, "
            + "octet_length(t)::bigint, stored FROM (SELECT id, user_id, chat::text AS t, coalesce(pg_column_size(chat), 0)::bigint "
            + "AS stored FROM chat WHERE " + range.predicate() + " AND " + scope.predicate() + extraPredicate + " OFFSET 0) s) "
            + "TO STDOUT (FORMAT binary)";
        CopyOut out = conn.unwrap(PGConnection.class).getCopyAPI().copyOut(sql);
        try (DataInputStream in = new DataInputStream(new PGCopyInputStream(out))) {
            readHeader(in);
            while (true) {
                short fields = in.readShort();
                if (fields == -1) break;
                if (fields != 5) throw new IOException("unexpected COPY row with " + fields + " fields");
                String id = readText(in);
                String userId = readText(in);
                int docLen = in.readInt();
                byte[] doc = null;
                if (docLen >= 0) {
                    if (!reuseBuffer) {
                        doc = new byte[docLen];
                    } else {
                        if (buffer.length < docLen) buffer = new byte[Math.max(docLen, Math.min(inlineLimit, buffer.length * 2))];
                        doc = buffer;
                    }
                    in.readFully(doc, 0, docLen);
                }
                int lenLen = in.readInt();
                long length = lenLen < 0 ? -1 : in.readLong();
                in.readInt();
                long stored = in.readLong();
                chats++;
                counters.chats().incrementAndGet();
                counters.plannedBytes().addAndGet(stored + RangePlanner.PER_CHAT_BYTES);
                if (length > 0) counters.documentBytes().addAndGet(length);
                if (rangeCounters != null) {
                    rangeCounters.plannedBytes().addAndGet(stored + RangePlanner.PER_CHAT_BYTES);
                    if (length > 0) rangeCounters.documentBytes().addAndGet(length);
                }
                if (length < 0) {                     // SQL NULL document
                    handler.document(id, userId, null);
                    continue;
                }
                bytes += length;
                if (doc != null) {
                    handler.document(id, userId, DocumentSource.of(doc, 0, docLen));
                } else {
                    large.add(new String[] {id, userId});
                    largeLength.add(length);
                }
            }
            while (in.read() >= 0) { }   // drain to the end of the COPY
        } finally {
            if (out.isActive()) out.cancelCopy();
        }
        for (int i = 0; i < large.size(); i++) {
            String id = large.get(i)[0];
            Path file = Spool.newFile("chat-", ".json");
            try {
                handler.document(id, large.get(i)[1], spool(id, largeLength.get(i), file));
            } finally {
                Files.deleteIfExists(file);
            }
        }
        return new Totals(chats, bytes);
    }

    private static void readHeader(DataInputStream in) throws IOException {
        byte[] signature = new byte[11];
        in.readFully(signature);
        in.readInt();                       // flags
        int ext = in.readInt();
        in.skipNBytes(ext);
    }

    private static String readText(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) return null;
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * Copies a large document to a temporary file, reading it in chunks of characters with
     * {@code substr} (in this transaction's snapshot), so the extractor can read it as often as
     * it needs without the database sending it twice and without it ever being in memory whole.
     */
    private DocumentSource spool(String id, long length, Path file) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            fetchChunks(id, out);
        }
        return new DocumentSource() {
            @Override public InputStream open() throws IOException {
                return new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            }

            @Override public long length() { return length; }
        };
    }

    /**
     * The document's chunks in order, one row each of a binary COPY (at most one chunk in memory), from one statement
     * that decompresses the document once (a query per chunk decompressed all of it for every chunk). The chunks are
     * of bytes: {@code substr} on text must count UTF-8 characters from the start for every chunk, which made a
     * 51 MB document's 13 chunks cost a second of the server's CPU; on bytea it slices in place.
     */
    private void fetchChunks(String id, OutputStream out) throws IOException {
        String sql = "COPY (SELECT f, substr(s.b, f, " + CHUNK_BYTES + ") FROM (SELECT convert_to(chat::text, 'UTF8') AS b FROM chat "
            + "WHERE id = " + KeyRange.literal(id) + " OFFSET 0) s CROSS JOIN LATERAL generate_series(1, greatest(octet_length(s.b), 1), "
            + CHUNK_BYTES + ") f) TO STDOUT (FORMAT binary)";   // the lateral function scan gives the chunks in order; checked below
        boolean any = false;
        try {
            CopyOut copy = conn.unwrap(PGConnection.class).getCopyAPI().copyOut(sql);
            try (DataInputStream in = new DataInputStream(new PGCopyInputStream(copy))) {
                readHeader(in);
                byte[] buffer = new byte[1 << 16];
                for (long expected = 1; ; expected += CHUNK_BYTES) {
                    short fields = in.readShort();
                    if (fields == -1) break;
                    any = true;
                    in.readInt();
                    long at = in.readInt();
                    if (at != expected) throw new IOException("chat " + id + ": chunk at " + at + " came where " + expected + " was expected");
                    for (int left = in.readInt(); left > 0; ) {   // -1 (a NULL document) writes nothing
                        int n = in.read(buffer, 0, Math.min(left, buffer.length));
                        if (n < 0) throw new EOFException("chat " + id + ": the COPY ended inside a chunk");
                        out.write(buffer, 0, n);
                        left -= n;
                    }
                }
                while (in.read() >= 0) { }   // drain to the end of the COPY
            } finally {
                if (copy.isActive()) copy.cancelCopy();
            }
        } catch (SQLException e) {
            throw new IOException("reading chat " + id + " in chunks failed: " + e.getMessage(), e);
        }
        if (!any) throw new EOFException("chat " + id + " vanished while its document was being read");
    }
}
