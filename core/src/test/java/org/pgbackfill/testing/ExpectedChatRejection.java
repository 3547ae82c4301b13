package org.pgbackfill.testing;

/** A chat whose document could not be read at all (reason INVALID_JSON or NOT_AN_OBJECT). */
public record ExpectedChatRejection(String chatId, ExpectedReason reason) {
}
