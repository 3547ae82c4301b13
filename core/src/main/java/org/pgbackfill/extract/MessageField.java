package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * One of the few message fields the row needs (role, parentId, model, done, timestamp), as
 * {@link MessageReader} noted it while copying the message: its first token, its text for strings
 * and numbers, its emptiness for containers. And how upstream judges such a value: Python's
 * truthiness, the TEXT column it becomes (or why it cannot), done's strict bool. The reader keeps
 * one instance per field and clears it for each message, so noting a field allocates nothing but
 * the text the parser hands over.
 */
final class MessageField {
    JsonToken token;      // null: the key was absent
    String text;          // strings (decoded) and numbers (source text)
    boolean empty;        // for objects and arrays

    void clear() { token = null; text = null; empty = false; }

    /** Notes a field's first token and, for strings and numbers, its text. */
    static void note(MessageField field, JsonParser p, JsonToken t) throws IOException {
        field.token = t;
        field.text = t == JsonToken.VALUE_STRING || t.isNumeric() ? p.getText() : null;
    }

    /** Python truthiness of a noted field. */
    static boolean truthy(MessageField f) {
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
    static String text(MessageField f, String what) throws Refusal {
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

    static void checkText(String s, String what) throws Refusal {
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

    /** {@code done}: missing → true; booleans; 0/1 (also 0.0/1.0) as Python's strict bool; null → SQL NULL. */
    static Boolean doneValue(MessageField done) throws Refusal {
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

    private static String describe(MessageField f) {
        if (f.text != null) return f.token == JsonToken.VALUE_STRING ? "the string \"" + abbreviate(f.text) + "\"" : f.text;
        return f.token == JsonToken.START_OBJECT ? "an object" : f.token == JsonToken.START_ARRAY ? "an array" : String.valueOf(f.token);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    /** Why a message cannot be inserted, with its reason; no stack trace (it is a verdict, not an error). */
    static final class Refusal extends Exception {
        final RejectReason reason;

        Refusal(RejectReason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }
}
