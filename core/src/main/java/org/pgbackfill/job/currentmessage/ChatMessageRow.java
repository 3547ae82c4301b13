package org.pgbackfill.job.currentmessage;

/** One {@code chat_message} row of the chat, as steps 3–4 read it: id, parent_id, created_at (nullable). */
public record ChatMessageRow(String id, String parentId, Long createdAt) { }
