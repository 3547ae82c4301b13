package org.pgbackfill.extract;

/** Receives what {@link MessageExtractor} finds in one document. Called on the extracting thread. */
public interface ExtractionSink {
    /**
     * Thrown by a sink that must stop the extraction (the run is stopping); the extractor lets it
     * through, where any other runtime failure on a document becomes a rejected chat.
     */
    final class Abort extends RuntimeException {
        public Abort(String message, Throwable cause) { super(message, cause); }
    }

    void row(MessageRow row);

    /** A message upstream would have failed to insert; {@code rawJson} is the message, compact UTF-8. */
    void rejectedMessage(String chatId, String messageKey, RejectReason reason, String detail, byte[] rawJson);

    /** A document that could not be read; {@code rawPrefix} is at most the first bytes of the document. */
    void rejectedChat(String chatId, RejectReason reason, String detail, byte[] rawPrefix);
}
