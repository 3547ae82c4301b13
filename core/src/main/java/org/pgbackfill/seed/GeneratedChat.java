package org.pgbackfill.seed;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One row of the {@code chat} table, as made by {@link ChatGenerator#next()}.
 *
 * <p>The document is a slice of the generator's reusable buffer: {@link #buffer()} from 0 to
 * {@link #documentLength()}, valid only until the next call to {@code next()}. Use
 * {@link #documentBytes()} for a copy that outlives it.
 */
public final class GeneratedChat {
    private final long index;
    private final String id;
    private final String userId;
    private final String title;
    private final long createdAt;
    private final long updatedAt;
    private final boolean archived;
    private final boolean pinned;
    private final String meta;
    private final byte[] buffer;
    private final int length;
    private final EdgeCase edgeCase;

    GeneratedChat(long index, String id, String userId, String title, long createdAt, long updatedAt,
                  boolean archived, boolean pinned, String meta, byte[] buffer, int length, EdgeCase edgeCase) {
        this.index = index;
        this.id = id;
        this.userId = userId;
        this.title = title;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
        this.archived = archived;
        this.pinned = pinned;
        this.meta = meta;
        this.buffer = buffer;
        this.length = length;
        this.edgeCase = edgeCase;
    }

    /** 0 for the first chat of a generator, then 1, 2, ... */
    public long index() { return index; }
    public String id() { return id; }
    /** {@code null} for SQL NULL. */
    public String userId() { return userId; }
    public String title() { return title; }
    /** Epoch seconds. */
    public long createdAt() { return createdAt; }
    /** Epoch seconds, {@code >= createdAt}. */
    public long updatedAt() { return updatedAt; }
    public boolean archived() { return archived; }
    public boolean pinned() { return pinned; }
    /** The {@code meta} column (JSON text, never null). */
    public String meta() { return meta; }
    /** The edge case this chat carries, or {@code null} for an ordinary chat. */
    public EdgeCase edgeCase() { return edgeCase; }

    /** True when the {@code chat} column is SQL NULL (then {@link #documentLength()} is 0). */
    public boolean documentIsNull() { return length < 0; }
    /** The generator's buffer; the document is {@code buffer()[0 .. documentLength())}. */
    public byte[] buffer() { return buffer; }
    /** Length of the document in bytes (UTF-8), 0 when SQL NULL. */
    public int documentLength() { return Math.max(length, 0); }
    /** A copy of the document, or {@code null} when SQL NULL. */
    public byte[] documentBytes() { return length < 0 ? null : Arrays.copyOf(buffer, length); }
    /** The document as text, or {@code null} when SQL NULL; for tests and diagnostics. */
    public String documentText() { return length < 0 ? null : new String(buffer, 0, length, StandardCharsets.UTF_8); }

    @Override public String toString() {
        return "chat " + id + " (" + documentLength() + " bytes" + (edgeCase == null ? "" : ", " + edgeCase) + ")";
    }
}
