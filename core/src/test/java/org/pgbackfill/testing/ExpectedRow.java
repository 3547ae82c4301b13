package org.pgbackfill.testing;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One {@code chat_message} row, in the table's column order. Text columns hold Java null for SQL
 * NULL. JSON columns: the reference always fills them (a missing or null source value is
 * {@code NullNode}, the JSON literal {@code null}); a row read back from the database uses Java
 * null for SQL NULL, which then shows up as a difference. {@code done} null is SQL NULL.
 */
public record ExpectedRow(
        String id,
        String chatId,
        String userId,
        String role,
        String parentId,
        JsonNode content,
        JsonNode output,
        String modelId,
        JsonNode files,
        JsonNode sources,
        JsonNode embeds,
        Boolean done,
        JsonNode statusHistory,
        JsonNode error,
        JsonNode usage,
        Long createdAt,
        Long updatedAt) {
}
