package org.pgbackfill.extract;

/**
 * One row of {@code chat_message}, as extracted from one entry of {@code history.messages}.
 *
 * <p>The JSON columns are not copied out one by one: the whole message is kept once, compactly
 * re-encoded as UTF-8 in {@link #messageJson}, and each JSON column is a slice of it
 * ({@code jsonStart[c]}..{@code jsonEnd[c]}), or absent ({@code jsonStart[c] < 0}) in which case
 * the column holds the JSON literal {@code null}. This keeps a row to one allocation the size of
 * the message, and lets a rejection carry the raw message without a second copy.
 */
public final class MessageRow {
    /** The JSON columns, in {@code chat_message} column order. */
    public static final String[] JSON_COLUMNS = {
        "content", "output", "files", "sources", "embeds", "status_history", "error", "usage"};
    /** The message fields the JSON columns come from, same order as {@link #JSON_COLUMNS}. */
    public static final String[] JSON_FIELDS = {
        "content", "output", "files", "sources", "embeds", "statusHistory", "error", "usage"};

    public final String id;
    public final String chatId;
    public final String userId;
    public final String messageKey;
    public final String role;
    public final String parentId;
    public final String modelId;
    /** {@code null} means SQL NULL (the message said {@code "done": null}). */
    public final Boolean done;
    public final long createdAt;
    public final byte[] messageJson;
    final int[] jsonStart;
    final int[] jsonEnd;

    MessageRow(String chatId, String userId, String messageKey, String role, String parentId,
               String modelId, Boolean done, long createdAt, byte[] messageJson, int[] jsonStart, int[] jsonEnd) {
        this.id = chatId + "-" + messageKey;
        this.chatId = chatId;
        this.userId = userId;
        this.messageKey = messageKey;
        this.role = role;
        this.parentId = parentId;
        this.modelId = modelId;
        this.done = done;
        this.createdAt = createdAt;
        this.messageJson = messageJson;
        this.jsonStart = jsonStart;
        this.jsonEnd = jsonEnd;
    }

    /** Start offset of JSON column {@code c} in {@link #messageJson}, or -1 for the literal {@code null}. */
    public int jsonStart(int c) { return jsonStart[c]; }

    /** End offset (exclusive) of JSON column {@code c} in {@link #messageJson}. */
    public int jsonEnd(int c) { return jsonEnd[c]; }

    /** JSON column {@code c} as text ({@code "null"} when absent); for tests and diagnostics. */
    public String json(int c) {
        if (jsonStart[c] < 0) return "null";
        return new String(messageJson, jsonStart[c], jsonEnd[c] - jsonStart[c], java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Approximate heap footprint, used to bound the bytes in flight between readers and writers. */
    public int weight() {
        return messageJson.length + 2 * (id.length() + chatId.length() + (role == null ? 0 : role.length())) + 128;
    }
}
