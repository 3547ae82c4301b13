package org.pgbackfill.verify;

/**
 * One row as {@code chat_message} holds it: TEXT columns as strings, JSON columns as their UTF-8
 * text, Java null for SQL NULL. Lives only while it is hashed, or while a difference is described.
 */
record StoredValues(String id, String chatId, String userId, String role, String parentId, String modelId,
                    byte[][] json, Boolean done, Long createdAt, Long updatedAt) {
}
