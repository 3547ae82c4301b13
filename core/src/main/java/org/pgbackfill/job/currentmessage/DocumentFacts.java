package org.pgbackfill.job.currentmessage;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import org.pgbackfill.extract.DocumentSource;
import org.pgbackfill.extract.PythonReading;

import java.io.IOException;
import java.io.Reader;

/**
 * What revision 9a1b2c3d4e5f takes from one chat document (SPEC.md 7 steps 1, 2 and 5), read in one
 * streaming pass with the extractor's Python reading (SPEC.md 6.1): the three candidate strings and the
 * message graph (keys, parents, times; never the bodies), or the reason Python would have raised.
 *
 * <p>How Python reads it, settled from upstream's file and python3:
 * <ul>
 *   <li>The top-level document is parsed by psycopg2's {@code json.loads} while fetching: anything
 *       Python cannot read there (invalid JSON, nesting, a 4301-digit integer) aborts upstream.
 *   <li>A document that is a JSON string is parsed once more inside upstream's code, under
 *       {@code except (TypeError, ValueError)}: invalid JSON or a too-long integer there count as
 *       {@code {}}, but {@code RecursionError} is not caught and aborts.
 *   <li>Anything that is not an object (SQL NULL, null, arrays, numbers, strings decoding to
 *       non-objects) counts as {@code {}}.
 *   <li>{@code history} and {@code history.messages} count only when they are objects; an entry of
 *       history.messages whose value is not an object is still a message (parent None, time 0).
 *   <li>Only when history.messages is not a non-empty object and the top-level {@code messages} is an
 *       array, its object elements with a truthy {@code id} become the map, keyed by that id as Python
 *       holds it; a truthy array/object id there raises TypeError (unhashable).
 *   <li>Duplicate keys: the last value wins at the first position, at every level.
 * </ul>
 * Not thread-safe only in the sense that the factory is shared; {@link #read} itself is reentrant.
 */
public final class DocumentFacts {
    /** A reading failure: upstream would have raised here. */
    public record Failure(CurrentMessageReject reason, String detail) { }

    public static final DocumentFacts EMPTY = new DocumentFacts(null, null, null, MessageGraph.EMPTY, null);

    private static final JsonFactory FACTORY = PythonReading.factory();

    private final String historyCurrentId;
    private final String currentId;
    private final String branchPointMessageId;
    private final MessageGraph messages;
    private final Failure failure;

    private DocumentFacts(String historyCurrentId, String currentId, String branchPointMessageId, MessageGraph messages,
                          Failure failure) {
        this.historyCurrentId = historyCurrentId;
        this.currentId = currentId;
        this.branchPointMessageId = branchPointMessageId;
        this.messages = messages;
        this.failure = failure;
    }

    private static DocumentFacts failed(CurrentMessageReject reason, String detail) {
        return new DocumentFacts(null, null, null, MessageGraph.EMPTY, new Failure(reason, detail));
    }

    /** {@code history.currentId} when it is a str (possibly empty), else null. */
    public String historyCurrentId() { return historyCurrentId; }

    /** Top-level {@code currentId} when it is a str, else null. */
    public String currentId() { return currentId; }

    /** Top-level {@code branchPointMessageId} when it is a str, else null. */
    public String branchPointMessageId() { return branchPointMessageId; }

    /** The messages of step 5 (empty when there are none). */
    public MessageGraph messages() { return messages; }

    /** Why Python would have raised reading this document, or null. */
    public Failure failure() { return failure; }

    /**
     * Reads one document; {@code doc} null is SQL NULL. Throws only when the source itself fails (its
     * IOException, unchanged); anything wrong with the content is in {@link #failure()}.
     */
    public static DocumentFacts read(DocumentSource doc) throws IOException {
        if (doc == null) return EMPTY;
        try {
            return readTopLevel(doc);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            IOException source = PythonReading.sourceFailure(e);
            if (source != null) throw source;
            if (e instanceof IOException io) {
                return switch (PythonReading.refused(io)) {
                    case NESTING_TOO_DEEP -> failed(CurrentMessageReject.DOCUMENT_NESTING_TOO_DEEP, io.getMessage());
                    case INTEGER_TOO_LONG -> failed(CurrentMessageReject.DOCUMENT_INTEGER_TOO_LONG, io.getMessage());
                    case INVALID_JSON -> failed(CurrentMessageReject.DOCUMENT_INVALID_JSON, String.valueOf(io.getMessage()));
                };
            }
            return failed(CurrentMessageReject.EXTRACTION_FAILED, e.toString());
        }
    }

    private static DocumentFacts readTopLevel(DocumentSource doc) throws IOException {
        try (JsonParser p = PythonReading.parser(FACTORY, doc)) {
            JsonToken t = p.nextToken();
            if (t == null) throw new IOException("the document is empty");
            if (t == JsonToken.START_OBJECT) {
                DocumentFacts facts = walkObject(p);
                end(p);
                return facts;
            }
            if (t != JsonToken.VALUE_STRING) {
                p.skipChildren();
                end(p);
                return EMPTY;
            }
        }
        // A JSON string: the outer literal must be whole (psycopg2 reads it first) before the inner
        // text is judged under upstream's own except clause.
        try (Reader outer = PythonReading.innerText(doc)) {
            char[] buf = new char[8192];
            while (outer.read(buf, 0, buf.length) >= 0) { }
        }
        return readInner(doc);
    }

    private static DocumentFacts readInner(DocumentSource doc) throws IOException {
        try (Reader text = PythonReading.innerText(doc); JsonParser q = PythonReading.innerParser(FACTORY, text)) {
            JsonToken t = q.nextToken();
            if (t == null) return EMPTY;                     // json.loads('') raises ValueError: caught, {}
            DocumentFacts facts = EMPTY;
            if (t == JsonToken.START_OBJECT) facts = walkObject(q); else q.skipChildren();
            end(q);
            return facts;
        } catch (IOException e) {
            IOException source = PythonReading.sourceFailure(e);
            if (source != null) throw source;
            if (PythonReading.refused(e) == PythonReading.Refused.NESTING_TOO_DEEP) {
                return failed(CurrentMessageReject.INNER_NESTING_TOO_DEEP, e.getMessage());
            }
            return EMPTY;                                     // ValueError (JSONDecodeError, long int): caught, {}
        }
    }

    private static void end(JsonParser p) throws IOException {
        if (p.nextToken() != null) throw new IOException("extra data after the document");
    }

    private static DocumentFacts walkObject(JsonParser p) throws IOException {
        String historyCurrent = null, current = null, branchPoint = null;
        MessageGraph history = MessageGraph.EMPTY;
        MessageGraphReader.ListMap list = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "history" -> {
                    historyCurrent = null;
                    history = MessageGraph.EMPTY;
                    if (v == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String field = p.currentName();
                            JsonToken w = p.nextToken();
                            if (field.equals("currentId")) {
                                historyCurrent = stringOrNull(p, w);
                            } else if (field.equals("messages")) {
                                history = w == JsonToken.START_OBJECT ? MessageGraphReader.messageMap(p) : skip(p);
                            } else {
                                p.skipChildren();
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                case "currentId" -> current = stringOrNull(p, v);
                case "branchPointMessageId" -> branchPoint = stringOrNull(p, v);
                case "messages" -> {
                    if (v == JsonToken.START_ARRAY) {
                        list = MessageGraphReader.list(p);
                    } else {
                        p.skipChildren();
                        list = null;
                    }
                }
                default -> p.skipChildren();
            }
        }
        MessageGraph graph = history;
        Failure failure = null;
        if (history.isEmpty() && list != null) {
            graph = list.graph();
            if (list.unhashable() != null) {
                failure = new Failure(CurrentMessageReject.UNHASHABLE_MESSAGE_ID, list.unhashable());
            }
        }
        if (failure != null) return new DocumentFacts(null, null, null, MessageGraph.EMPTY, failure);
        return new DocumentFacts(historyCurrent, current, branchPoint, graph, null);
    }

    private static MessageGraph skip(JsonParser p) throws IOException {
        p.skipChildren();
        return MessageGraph.EMPTY;
    }

    private static String stringOrNull(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_STRING) return p.getText();
        p.skipChildren();
        return null;
    }
}
