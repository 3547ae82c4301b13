package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.Reader;

/**
 * What kind of document this is, decided from its first token(s) as upstream's code does: nothing
 * (a falsy document: no rows), an object (walked for its messages), a string (a double-encoded
 * document, whose inner text decides), or anything else (upstream would abort on it). It is decided
 * once per document, before the walk, so that a document that yields nothing or is refused whole
 * never reaches the message reader.
 */
enum DocumentShape {
    NOTHING, OBJECT, STRING, NOT_AN_OBJECT;

    /**
     * How to open the document to walk: a parser over its bytes, or over the characters the string
     * decoder yields when double-encoded. Closing the parser closes the source.
     */
    interface Opener { JsonParser open() throws IOException; }

    /** The decoded inner text of a double-encoded document, from its start. */
    interface TextOpener { Reader open() throws IOException; }

    /**
     * The document's shape from its first token. A document that is not an object is read to its end
     * (it is small, and Python reads it whole before upstream looks at it), so that an invalid one is
     * INVALID_JSON whichever way it starts; an object or a string is checked by the walk that follows.
     */
    static DocumentShape of(Opener opener) throws IOException {
        try (JsonParser p = opener.open()) {
            JsonToken t = p.nextToken();
            if (t == null) throw new MalformedDocumentException("the document is empty");
            DocumentShape shape = switch (t) {
                case VALUE_NULL, VALUE_FALSE -> NOTHING;
                case VALUE_TRUE -> NOT_AN_OBJECT;
                case VALUE_NUMBER_INT -> isZero(p.getText()) ? NOTHING : NOT_AN_OBJECT;
                case VALUE_NUMBER_FLOAT -> p.getDoubleValue() == 0.0 && !p.isNaN() ? NOTHING : NOT_AN_OBJECT;
                case START_ARRAY -> skipArray(p) ? NOTHING : NOT_AN_OBJECT;
                case START_OBJECT -> OBJECT;
                case VALUE_STRING -> STRING;
                default -> throw new MalformedDocumentException("unexpected first token " + t);
            };
            if (shape == NOTHING || shape == NOT_AN_OBJECT) {
                if (p.nextToken() != null) throw new MalformedDocumentException("extra data after the document");
            }
            return shape;
        }
    }

    /** Skips the array the parser is on; returns whether it was empty. */
    private static boolean skipArray(JsonParser p) throws IOException {
        boolean empty = true;
        for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; empty = false) {
            if (t == null) throw new MalformedDocumentException("unexpected end of the document");
            if (t.isStructStart()) p.skipChildren();
        }
        return empty;
    }

    /** Whether an integer literal is zero ({@code 0}, {@code -0}), without converting a long one. */
    private static boolean isZero(String integer) {
        return integer.equals("0") || integer.equals("-0");
    }

    /**
     * The decoded inner document of a double-encoded chat: empty string → nothing (it was falsy);
     * an object → walk it; any other valid JSON → upstream would abort; anything else → invalid.
     */
    static DocumentShape ofInner(TextOpener text, Opener opener) throws IOException {
        try (Reader in = text.open()) {
            if (in.read() < 0) return NOTHING;
        }
        try (JsonParser p = opener.open()) {
            JsonToken t = p.nextToken();
            if (t == null) throw new MalformedDocumentException("the double-encoded document is blank");
            if (t == JsonToken.START_OBJECT) return OBJECT;
            p.skipChildren();
            if (p.nextToken() != null) throw new MalformedDocumentException("extra data after the double-encoded value");
            return NOT_AN_OBJECT;
        }
    }
}
