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

    /** A scalar-or-container field value as noted while copying: its first token, text, and emptiness. */
    private static final class Field {
        JsonToken token;      // null: the key was absent
        String text;          // strings (decoded) and numbers (source text)
        boolean empty;        // for objects and arrays

        void clear() { token = null; text = null; empty = false; }
    }

    private final JsonFactory factory;
    private final TimestampRule timestamps;
    private final JsonWriter out;
    private final Field role = new Field(), parentId = new Field(), model = new Field(), done = new Field(), timestamp = new Field();
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
        if (!truthy(role)) return null;

        String roleText;
        String parentText;
        String modelText;
        try {
            checkText(key, "message key");
            roleText = text(role, "role");
            parentText = text(parentId, "parentId");
            modelText = text(model, "model");
        } catch (Refusal r) {
            return new Rejected(key, r.reason, r.getMessage(), out.toByteArray());
        }
        Boolean doneValue;
        try {
            doneValue = doneValue();
        } catch (Refusal r) {
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

    /** {@code done}: missing → true; booleans; 0/1 (also 0.0/1.0) as Python's strict bool; null → SQL NULL. */
    private Boolean doneValue() throws Refusal {
        if (done.token == null) return Boolean.TRUE;
        switch (done.token) {
            case VALUE_TRUE: return Boolean.TRUE;
            case VALUE_FALSE: return Boolean.FALSE;
            case VALUE_NULL: return null;
            case VALUE_NUMBER_INT:
                if (done.text.equals("1")) return Boolean.TRUE;
                if (done.text.equals("0") || done.text.equals("-0")) return Boolean.FALSE;
                break;
            case VALUE_NUMBER_FLOAT:
                double d = Double.parseDouble(done.text);
                if (d == 1.0) return Boolean.TRUE;
                if (d == 0.0) return Boolean.FALSE;
                break;
            default:
                break;
        }
        throw new Refusal(RejectReason.BAD_DONE, "done is " + describe(done));
    }

    private void clearMessage() {
        out.reset();
        role.clear(); parentId.clear(); model.clear(); done.clear(); timestamp.clear();
        Arrays.fill(start, -1);
        Arrays.fill(end, -1);
        Arrays.fill(flags, 0);
    }

    /** The field of the row a message key feeds, or null. */
    private Field field(String name) {
        return switch (name) {
            case "role" -> role;
            case "parentId" -> parentId;
            case "model" -> model;
            case "done" -> done;
            case "timestamp" -> timestamp;
            default -> null;
        };
    }

    /** Notes a field's first token and, for strings and numbers, its text. */
    private static void note(Field field, JsonParser p, JsonToken t) throws IOException {
        field.token = t;
        field.text = t == JsonToken.VALUE_STRING || t.isNumeric() ? p.getText() : null;
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
            Field field = field(name);
            if (field != null) note(field, p, t);
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
            Field field = field(name);
            if (field != null) note(field, p, t);
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

    /** Python truthiness of a noted field. */
    private static boolean truthy(Field f) {
        if (f.token == null) return false;
        return switch (f.token) {
            case VALUE_NULL, VALUE_FALSE -> false;
            case VALUE_TRUE -> true;
            case VALUE_STRING -> !f.text.isEmpty();
            case VALUE_NUMBER_INT -> !(f.text.equals("0") || f.text.equals("-0"));
            case VALUE_NUMBER_FLOAT -> Double.parseDouble(f.text) != 0.0;   // NaN is truthy, as in Python
            case START_OBJECT, START_ARRAY -> !f.empty;
            default -> false;
        };
    }

    /** The TEXT column value of a field: null for absent or JSON null; rejects what upstream could not insert. */
    private static String text(Field f, String what) throws Refusal {
        if (f.token == null) return null;
        switch (f.token) {
            case VALUE_NULL: return null;
            case VALUE_TRUE: return "true";
            case VALUE_FALSE: return "false";
            case VALUE_STRING: checkText(f.text, what); return f.text;
            case VALUE_NUMBER_INT: return PythonNumbers.numberAsText(f.text, true);
            case VALUE_NUMBER_FLOAT: return PythonNumbers.numberAsText(f.text, false);
            case START_OBJECT: throw new Refusal(RejectReason.OBJECT_IN_TEXT, what + " is an object");
            case START_ARRAY: throw new Refusal(RejectReason.ARRAY_IN_TEXT, what + " is an array");
            default: throw new IllegalStateException("unexpected token " + f.token);
        }
    }

    private static void checkText(String s, String what) throws Refusal {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) throw new Refusal(RejectReason.NUL_IN_TEXT, what + " contains a NUL character at index " + i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    throw new Refusal(RejectReason.LONE_SURROGATE_IN_TEXT,
                        what + " contains a lone surrogate U+" + Integer.toHexString(c).toUpperCase() + " at index " + i);
                }
            }
        }
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

    private static String describe(Field f) {
        if (f.text != null) return f.token == JsonToken.VALUE_STRING ? "the string \"" + abbreviate(f.text) + "\"" : f.text;
        return f.token == JsonToken.START_OBJECT ? "an object" : f.token == JsonToken.START_ARRAY ? "an array" : String.valueOf(f.token);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    private static final class Refusal extends Exception {
        final RejectReason reason;

        Refusal(RejectReason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }
}
