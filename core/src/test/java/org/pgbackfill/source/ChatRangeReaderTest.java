package org.pgbackfill.source;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgbackfill.testing.PostgresFixture;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A range's documents arrive byte for byte as the server's {@code chat::text}: inline ones in the
 * range's COPY, and those above the inline limit in 4 MiB chunks of bytes, where a chunk boundary
 * falls inside multi-byte characters (2, 3 and 4 bytes) and the chat ids need quoting.
 */
class ChatRangeReaderTest {
    @RegisterExtension
    static PostgresFixture pg = new PostgresFixture();

    @Test
    void everyDocumentArrivesAsTheServersTextWhateverItsSizeAndId() throws Exception {
        Map<String, String> docs = new HashMap<>();
        docs.put("small", "{\"history\": {\"currentId\": \"é\"}}");
        docs.put("o'brien \\ back", document(9 << 20, "é"));          // 2-byte characters across the chunk boundaries
        docs.put("three", document((4 << 20) + 1, "€"));               // 3 bytes, one byte past a chunk
        docs.put("four 😀", document((8 << 20) + 3, "😀"));             // 4 bytes (a surrogate pair in Java)
        docs.put("exactly", "{\"x\": \"" + "a".repeat((4 << 20) - 9) + "\"}");   // exactly one chunk
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE chat (id varchar PRIMARY KEY, user_id varchar, chat json)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat VALUES (?, 'u', ?::json)")) {
                for (Map.Entry<String, String> e : docs.entrySet()) {
                    ps.setString(1, e.getKey());
                    ps.setString(2, e.getValue());
                    ps.executeUpdate();
                }
            }
            st.execute("INSERT INTO chat VALUES ('null', 'u', NULL)");
            Map<String, byte[]> server = new HashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT id, convert_to(chat::text, 'UTF8') FROM chat WHERE chat IS NOT NULL")) {
                while (rs.next()) server.put(rs.getString(1), rs.getBytes(2));
            }

            Map<String, byte[]> read = new HashMap<>();
            ChatRangeReader reader = new ChatRangeReader(c, 1024, Scope.EVERY_CHAT);
            ChatRangeReader.beginSnapshot(c);
            ChatRangeReader.Totals totals = reader.readInTransaction(new KeyRange(0, null, null, 0), "", (id, userId, doc) -> {
                if (doc == null) {
                    read.put(id, null);
                    return;
                }
                try (InputStream in = doc.open()) {
                    byte[] b = in.readAllBytes();
                    assertEquals(doc.length(), b.length, "chat " + id + ": the length announced is the bytes read");
                    read.put(id, b);
                }
            });
            c.commit();
            assertEquals(docs.size() + 1, totals.chats());
            assertNull(read.get("null"));
            for (String id : docs.keySet()) {
                assertArrayEquals(server.get(id), read.get(id), () -> "chat " + id + ": " + Arrays.toString(Arrays.copyOf(read.get(id), 16)));
            }
            assertEquals(docs.get("four 😀"), new String(read.get("four 😀"), StandardCharsets.UTF_8));
        }
    }

    /** A JSON document of about {@code bytes} bytes whose string is made of {@code character}, not aligned to chunks. */
    private static String document(int bytes, String character) {
        int size = character.getBytes(StandardCharsets.UTF_8).length;
        return "{\"a\": \"" + "x".repeat(3) + character.repeat(bytes / size) + "\"}";
    }
}
