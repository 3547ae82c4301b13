package org.pgbackfill.seed;

import java.util.SplittableRandom;

/**
 * What the writers of a document's parts share: the generator's one random source (every part
 * draws from it in the order the document is written, which is what makes the output a function of
 * the seed), the text pool, the planned {@link MessageTree}, the output of the chat being written
 * and the edge case planted in it. {@link #begin} hands a part the chat before it writes; a part
 * that delegates to others passes it on.
 */
abstract class PartWriter {
    final SplittableRandom rng;
    final TextPool pool = TextPool.INSTANCE;
    final MessageTree tree;
    JsonOut out;
    EdgeCase edge;              // the planted edge case, or null
    int ev;                     // variant selector for the edge case
    byte[] edgeKey;             // escaped key for the edge-case message, or null
    int edgeMsg;                // the message the edge case is planted in, or -1
    String userId;
    long epochBase;

    PartWriter(SplittableRandom rng, MessageTree tree) {
        this.rng = rng;
        this.tree = tree;
    }

    void begin(JsonOut out, EdgeCase edge, int ev, byte[] edgeKey, int edgeMsg, String userId, long epochBase) {
        this.out = out;
        this.edge = edge;
        this.ev = ev;
        this.edgeKey = edgeKey;
        this.edgeMsg = edgeMsg;
        this.userId = userId;
        this.epochBase = epochBase;
    }
}
