package org.pgbackfill.testing;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A message expected in the rejection table: its chat, its key in {@code history.messages}, why,
 * and the raw message value (after duplicate keys are resolved).
 */
public record ExpectedMessageRejection(String chatId, String messageKey, ExpectedReason reason, JsonNode message) {
}
