package org.pgbackfill.testing;

/**
 * One row of the {@code chat} table to load: a short name saying what it exercises, the chat id,
 * the user id (null = SQL NULL) and the document text (null = SQL NULL).
 */
public record Fixture(String name, String chatId, String userId, String document) {
}
