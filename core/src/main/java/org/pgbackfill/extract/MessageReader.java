package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.Arrays;

/**
 * Turns one entry of {@code history.messages} into a {@link MessageRow}, a {@link Rejected}, or
 * nothing (SPEC.md sections 2.6, 3 and 6). The message is copied once into a {@link JsonWriter};
 * the fields the row needs are noted on the way, and the JSON columns are slices of the copy.
 *
 * <p>Two ways to copy, one result. When the document is in memory ({@link #sliceFrom}), the
 * message's source bytes are taken as they are: strings are skipped by the parser, never decoded
 * and re-encoded (most of a document is string content, so this is most of the work saved); the
 * parser must then reject duplicate keys, and the caller falls back to the other way for the rare
 * document that has some. Otherwise the message is re-encoded token by token, resolving duplicate
 * keys as Python does. Not thread-safe: one per extracting thread.
 */
final class MessageReader {
    /** A message that upstream would have failed to insert. */
    record Rejected(String key, RejectReason reason, String detail, byte[] rawJson) { }

    private final JsonFactory factory;
    private final TimestampRule timestamps;
    private final JsonWriter out;
    private final MessageField role = new MessageField(), parentId = new MessageField(), model = new MessageField(),
        done = new MessageField(), timestamp = new MessageField();
    private final int[] start = new int[MessageRow.JSON_FIELDS.length];
    private final int[] end = new int[MessageRow.JSON_FIELDS.length];
    private final int[] flags = new int[MessageRow.JSON_FIELDS.length];
    private byte[] source;           // the document, when messages are sliced from it
    private int sourceOffset;
    private boolean lastContainerEmpty;

    MessageReader(JsonFactory factory, TimestampRule timestamps, boolean asciiJson) {
        this.factory = factory;
        this.out = new JsonWriter(asciiJson);
        this.timestamps = timestamps;
    }

    /**
     * Slice messages from this in-memory document (whose parser reports byte offsets from
     * {@code offset}) instead of re-encoding them; null to re-encode. The parser must have
     * STRICT_DUPLICATE_DETECTION on while slicing.
     */
    void sliceFrom(byte[] document, int offset) {
        this.source = document;
        this.sourceOffset = offset;
    }

    /**
     * Reads the message value at the parser's current token (leaving the parser on its last token).
     * Returns a {@link MessageRow}, a {@link Rejected}, or null when upstream silently skips it.
     */
    Object read(JsonParser p, String chatId, String userId, String key) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return null;
        }
        if (source != null) sliceMessage(p); else copyMessage(p);
        if (!MessageField.truthy(role)) return null;

        String roleText;
        String parentText;
        String modelText;
        try {
            MessageField.checkText(key, "message key");
            roleText = MessageField.text(role, "role");
            parentText = MessageField.text(parentId, "parentId");
            modelText = MessageField.text(model, "model");
        } catch (MessageField.Refusal r) {
            return new Rejected(key, r.reason, r.getMessage(), out.toByteArray());
        }
        Boolean doneValue;
        try {
            doneValue = MessageField.doneValue(done);
        } catch (MessageField.Refusal r) {
            return new Rejected(key, r.reason, r.getMessage(), out.toByteArray());
        }
        // Duplicates first: an overwritten value is gone before anything is judged (Python's dict).
        byte[] raw = null;
        for (int c = 0; c < flags.length; c++) {
            if ((flags[c] & JsonWriter.DUPLICATE_KEY) != 0) {
                if (raw == null) raw = out.toByteArray();   // the message as written, for a rejection
                int s = out.len;
                flags[c] = DuplicateKeys.rewrite(factory, out.buf, start[c], end[c], out);
                start[c] = s;
                end[c] = out.len;
            }
        }
        for (int c = 0; c < flags.length; c++) {
            if ((flags[c] & JsonWriter.TOO_DEEP) != 0) {
                return new Rejected(key, RejectReason.JSON_TOO_DEEP, MessageRow.JSON_FIELDS[c] + " is nested deeper than "
                    + PythonJson.MAX_WRITE_NESTING + " levels, more than Python's json.dumps writes", raw(raw));
            }
        }
        for (int c = 0; c < flags.length; c++) {
            if ((flags[c] & JsonWriter.NUMBER_OUT_OF_RANGE) != 0) {
                return new Rejected(key, RejectReason.NUMBER_OUT_OF_RANGE,
                    MessageRow.JSON_FIELDS[c] + " holds a number outside the range of a double", raw(raw));
            }
        }
        long createdAt = timestamps.normalise(timestampValue());
        return new MessageRow(chatId, userId, key, roleText, parentText, modelText, doneValue, createdAt,
            out.toByteArray(), start.clone(), end.clone());
    }

    private void clearMessage() {
        out.reset();
        role.clear(); parentId.clear(); model.clear(); done.clear(); timestamp.clear();
        Arrays.fill(start, -1);
        Arrays.fill(end, -1);
        Arrays.fill(flags, 0);
    }

    /** The field of the row a message key feeds, or null. */
    private MessageField field(String name) {
        return switch (name) {
            case "role" -> role;
            case "parentId" -> parentId;
            case "model" -> model;
            case "done" -> done;
            case "timestamp" -> timestamp;
            default -> null;
        };
    }

    /** Takes the message's source bytes as they are; the parser is on its START_OBJECT. */
    private void sliceMessage(JsonParser p) throws IOException {
        clearMessage();
        int msgStart = position(p.currentTokenLocation().getByteOffset());
        int pending = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            pending = closeValue(pending, p);
            String name = p.currentName();
            JsonToken t = p.nextToken();
            MessageField field = field(name);
            if (field != null) MessageField.note(field, p, t);
            int valueStart = position(p.currentTokenLocation().getByteOffset());
            int f = 0;
            if (t.isStructStart()) {
                f = skipValue(p);
                if (field != null) field.empty = lastContainerEmpty;
            } else if (t == JsonToken.VALUE_NUMBER_FLOAT && PythonNumbers.notWritable(p.getText())) {
                f = JsonWriter.NUMBER_OUT_OF_RANGE;
            }
            int column = jsonColumn(name);
            if (column >= 0) {
                start[column] = valueStart - msgStart;
                flags[column] = f;
                pending = column;
            }
        }
        closeValue(pending, p);
        int msgEnd = position(p.currentLocation().getByteOffset());
        for (int c = 0; c < start.length; c++) {
            if (start[c] >= 0) end[c] -= msgStart;
        }
        out.ensure(msgEnd - msgStart);
        System.arraycopy(source, msgStart, out.buf, 0, msgEnd - msgStart);
        out.len = msgEnd - msgStart;
    }

    /**
     * The value of column {@code pending} ends before the token the parser is now on, less the
     * whitespace and comma between them (a string's end is only known once the parser moved past it).
     */
    private int closeValue(int pending, JsonParser p) {
        if (pending < 0) return -1;
        int e = position(p.currentTokenLocation().getByteOffset());
        while (isWhitespace(source[e - 1])) e--;
        if (source[e - 1] == ',') e--;
        while (isWhitespace(source[e - 1])) e--;
        end[pending] = e;            // absolute for now; made relative to the message in sliceMessage
        return -1;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    /**
     * Skips a container, checking it as Python would write it back (numbers, depth: the same flags
     * as {@link JsonWriter#copyValue}); notes whether it was empty.
     */
    private int skipValue(JsonParser p) throws IOException {
        int flagsSeen = 0, depth = 1;
        boolean first = true;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (first) {
                lastContainerEmpty = t.isStructEnd();
                first = false;
            }
            if (t.isStructStart()) {
                if (++depth > PythonJson.MAX_WRITE_NESTING) flagsSeen |= JsonWriter.TOO_DEEP;
            } else if (t.isStructEnd()) {
                depth--;
            } else if (t == JsonToken.VALUE_NUMBER_FLOAT && PythonNumbers.notWritable(p.getText())) {
                flagsSeen |= JsonWriter.NUMBER_OUT_OF_RANGE;
            }
        }
        return flagsSeen;
    }

    /** The message as read, for a rejection: {@code written} if duplicates were resolved since, else the copy. */
    private byte[] raw(byte[] written) {
        return written != null ? written : out.toByteArray();
    }

    private int position(long parserOffset) {
        return sourceOffset + (int) parserOffset;
    }

    private void copyMessage(JsonParser p) throws IOException {
        clearMessage();
        out.put((byte) '{');
        boolean first = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if (!first) out.put((byte) ',');
            first = false;
            out.writeString(name);
            out.put((byte) ':');
            JsonToken t = p.nextToken();
            MessageField field = field(name);
            if (field != null) MessageField.note(field, p, t);
            int column = jsonColumn(name);
            int s = out.len;
            int f = out.copyValue(p);
            if (field != null) field.empty = out.len - s == 2 && (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY);
            if (column >= 0) {
                start[column] = s;
                end[column] = out.len;
                flags[column] = f;
            }
        }
        out.put((byte) '}');
    }

    private static int jsonColumn(String name) {
        return switch (name) {
            case "content" -> 0;
            case "output" -> 1;
            case "files" -> 2;
            case "sources" -> 3;
            case "embeds" -> 4;
            case "statusHistory" -> 5;
            case "error" -> 6;
            case "usage" -> 7;
            default -> -1;
        };
    }

    /** The timestamp as Python's float() would see it; NaN when it would raise. */
    private double timestampValue() {
        if (timestamp.token == null) return timestamps.now();
        return switch (timestamp.token) {
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> PythonNumbers.toDouble(timestamp.text);
            case VALUE_STRING -> PythonNumbers.parseFloat(timestamp.text);
            case VALUE_TRUE -> 1;
            case VALUE_FALSE -> 0;
            default -> Double.NaN;
        };
    }
}
