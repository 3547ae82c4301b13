package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;

import java.io.IOException;

/**
 * Checks each token as Python's {@code json.loads} would while reading it: depth, integer length,
 * non-standard literals (see {@link PythonJson}). Skipping goes token by token through the same
 * check, so a value the extractor never looks at (the top-level {@code messages} copy, say) is
 * judged too, as Python parses the whole document before anything else happens.
 */
final class PythonGrammarParser extends JsonParserDelegate {
    private final boolean inner;
    private int depth;

    /** @param inner whether this is the inner text of a double-encoded document (upstream then skips the chat) */
    PythonGrammarParser(JsonParser p, boolean inner) {
        super(p);
        this.inner = inner;
    }

    @Override
    public JsonToken nextToken() throws IOException {
        JsonToken t = delegate.nextToken();
        if (t != null) check(t);
        return t;
    }

    @Override
    public JsonToken nextValue() throws IOException {
        JsonToken t = nextToken();
        return t == JsonToken.FIELD_NAME ? nextToken() : t;
    }

    @Override
    public JsonParser skipChildren() throws IOException {
        JsonToken t = currentToken();
        if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) return this;
        int open = 1;
        while (open > 0) {
            JsonToken n = nextToken();
            if (n == null) throw new MalformedDocumentException("unexpected end of the document");
            if (n.isStructStart()) open++;
            else if (n.isStructEnd()) open--;
        }
        return this;
    }

    private void check(JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT, START_ARRAY -> {
                if (++depth > PythonJson.MAX_NESTING) {
                    throw refusal(RejectReason.NESTING_TOO_DEEP, "nested deeper than " + PythonJson.MAX_NESTING
                        + " levels (Python's json.loads raises RecursionError)");
                }
            }
            case END_OBJECT, END_ARRAY -> depth--;
            case VALUE_NUMBER_INT -> {
                int digits = getTextLength();
                if (digits > PythonJson.MAX_INT_DIGITS && getTextCharacters()[getTextOffset()] == '-') digits--;
                if (digits > PythonJson.MAX_INT_DIGITS) {
                    throw refusal(RejectReason.INTEGER_TOO_LONG, "an integer of " + digits + " digits (Python refuses more than "
                        + PythonJson.MAX_INT_DIGITS + ": ValueError)");
                }
            }
            case VALUE_NUMBER_FLOAT -> {
                char[] c = getTextCharacters();
                int off = getTextOffset(), n = getTextLength();
                boolean numeric = isDigit(c[off]) || (c[off] == '-' && n > 1 && isDigit(c[off + 1]));
                if (!numeric) {
                    String text = getText();
                    if (!(text.equals("NaN") || text.equals("Infinity") || text.equals("-Infinity"))) {
                        // Jackson also takes +Infinity, -INF and +INF; Python's json module does not
                        throw new MalformedDocumentException("'" + text + "' at byte " + where()
                            + " is not a literal Python's json module accepts");
                    }
                }
            }
            default -> { }
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private PythonJson.Refusal refusal(RejectReason reason, String what) {
        String at = " at byte " + where();
        if (inner) {
            // The inner json.loads runs in upstream's own code, which gives up on the chat: it yields
            // nothing, recorded like any other unreadable double-encoded document.
            return new PythonJson.Refusal(RejectReason.INVALID_JSON, "the double-encoded document is " + what + at);
        }
        return new PythonJson.Refusal(reason, "the document is " + what + at + "; upstream aborts the whole migration on it");
    }

    private long where() {
        long b = currentTokenLocation().getByteOffset();
        return b >= 0 ? b : currentTokenLocation().getCharOffset();
    }
}
