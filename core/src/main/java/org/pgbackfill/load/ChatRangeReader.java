package org.pgbackfill.load;

import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.extract.ExtractionSink;
import org.pgbackfill.extract.MessageExtractor;
import org.pgbackfill.plan.KeyRange;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.postgresql.copy.PGCopyInputStream;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Streams one range of {@code chat} with {@code COPY (SELECT …) TO STDOUT (FORMAT binary)} and
 * hands each document to the extractor as it arrives; nothing is collected in memory.
 *
 * <p>Documents longer than the inline limit are not sent in the COPY (the server sends a NULL
 * and their length instead); once the COPY ends they are read in chunks of characters with
 * {@code substr}, in the same REPEATABLE READ transaction, so every read sees one snapshot and a
 * 100 MB document never has to be in memory whole.
 */
final class ChatRangeReader {
    /** What one range produced. */
    record Totals(long chats, long documentBytes) { }

    private static final int CHUNK_CHARS = 4 << 20;

    private final Connection conn;
    private final int inlineLimit;

    ChatRangeReader(Connection conn, int inlineLimit) {
        this.conn = conn;
        this.inlineLimit = inlineLimit;
    }

    Totals read(KeyRange range, MessageExtractor extractor, ExtractionSink sink) throws SQLException, IOException {
        conn.setAutoCommit(false);
        try (Statement st = conn.createStatement()) {
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        }
        long chats = 0, bytes = 0;
        List<String[]> large = new ArrayList<>();
        List<Long> largeLength = new ArrayList<>();
        String sql = "COPY (SELECT id, user_id, CASE WHEN octet_length(chat::text) <= " + inlineLimit
            + "" + " THEN chat END, octet_length(chat::text)::bigint FROM chat WHERE " + range.predicate()
            + " AND user_id NOT LIKE 'shared-%') TO STDOUT (FORMAT binary)";
        CopyOut out = conn.unwrap(PGConnection.class).getCopyAPI().copyOut(sql);
        try (DataInputStream in = new DataInputStream(new PGCopyInputStream(out))) {
            readHeader(in);
            while (true) {
                short fields = in.readShort();
                if (fields == -1) break;
                if (fields != 4) throw new IOException("unexpected COPY row with " + fields + " fields");
                String id = readText(in);
                String userId = readText(in);
                int docLen = in.readInt();
                byte[] doc = null;
                if (docLen >= 0) {
                    doc = new byte[docLen];
                    in.readFully(doc);
                }
                int lenLen = in.readInt();
                long length = lenLen < 0 ? -1 : in.readLong();
                chats++;
                if (length < 0) continue;             // SQL NULL document: nothing to extract
                bytes += length;
                if (doc != null) {
                    extractor.extract(id, userId, DocumentSource.of(doc), sink);
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
            extractor.extract(id, large.get(i)[1], new ChunkedDocument(id, largeLength.get(i)), sink);
        }
        conn.commit();
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

    /** A large document read back in chunks of characters; re-openable for the extractor's second pass. */
    private final class ChunkedDocument implements DocumentSource {
        private final String id;
        private final long length;

        ChunkedDocument(String id, long length) {
            this.id = id;
            this.length = length;
        }

        @Override public long length() { return length; }

        @Override public InputStream open() {
            return new InputStream() {
                private byte[] chunk = new byte[0];
                private int pos;
                private long nextChar = 1;
                private boolean last;

                @Override public int read() throws IOException {
                    if (!fill()) return -1;
                    return chunk[pos++] & 0xff;
                }

                @Override public int read(byte[] b, int off, int len) throws IOException {
                    if (!fill()) return -1;
                    int n = Math.min(len, chunk.length - pos);
                    System.arraycopy(chunk, pos, b, off, n);
                    pos += n;
                    return n;
                }

                private boolean fill() throws IOException {
                    while (pos >= chunk.length) {
                        if (last) return false;
                        String text = fetch(nextChar);
                        nextChar += CHUNK_CHARS;
                        last = text == null || text.length() < CHUNK_CHARS;
                        chunk = text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
                        pos = 0;
                    }
                    return true;
                }
            };
        }

        private String fetch(long fromChar) throws IOException {
            try (PreparedStatement ps = conn.prepareStatement("SELECT substr(chat::text, ?, ?) FROM chat WHERE id = ?")) {
                ps.setInt(1, (int) fromChar);
                ps.setInt(2, CHUNK_CHARS);
                ps.setString(3, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) throw new EOFException("chat " + id + " vanished while its document was being read");
                    return rs.getString(1);
                }
            } catch (SQLException e) {
                throw new IOException("reading chat " + id + " in chunks failed: " + e.getMessage(), e);
            }
        }
    }
}
