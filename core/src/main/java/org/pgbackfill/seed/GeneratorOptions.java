package org.pgbackfill.seed;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What {@link ChatGenerator} makes. Immutable; validated in {@link Builder#build()}.
 *
 * <p>Document sizes are log-normal: {@code meanDocumentBytes} is the mean of the distribution,
 * {@code sizeSigma} the standard deviation of {@code ln(size)}. With the defaults (64 KiB, 2.0) the
 * median is about 10 KB, one chat in a thousand is over 4 MB and the largest of a 1 GB set is
 * typically 10–40 MB: the shape of real Open WebUI tables (a 68 GB table held 161k chats, one chat
 * 36 MB). The smallest chat is one question and one answer (2–6 KB, more with RAG sources), so
 * below about 10 KB documents come out larger than planned; above it they are within a few percent.
 *
 * @param seed                  everything is a function of this seed (same seed, same bytes)
 * @param chats                 how many chats to make ({@link ChatGenerator#hasNext()}); see also targetBytes
 * @param targetBytes           stop once this many document bytes were made ({@code Long.MAX_VALUE}: no limit)
 * @param meanDocumentBytes     mean document size
 * @param sizeSigma             log-normal sigma of document sizes (0 = all the same size)
 * @param maxDocumentBytes      no document is planned larger than this (edge cases may add a little)
 * @param edgeCaseShare         share of chats (0..1) that carry one {@link EdgeCase}
 * @param edgeCases             which edge cases may be chosen
 * @param incompressibleShare   share (0..1) of document bytes that are random base64 (pasted images)
 * @param sharedUserShare       share (0..1) of chats whose user_id is {@code shared-<uuid>} (shared-link copies)
 * @param users                 size of the pool of user ids
 * @param epochBase             "now" of the generated data (epoch seconds): chats are created in the two
 *                              years before it and never updated after it
 */
public record GeneratorOptions(
    long seed,
    long chats,
    long targetBytes,
    int meanDocumentBytes,
    double sizeSigma,
    int maxDocumentBytes,
    double edgeCaseShare,
    Set<EdgeCase> edgeCases,
    double incompressibleShare,
    double sharedUserShare,
    int users,
    long epochBase) {

    public GeneratorOptions {
        edgeCases = edgeCases.isEmpty()
            ? Collections.unmodifiableSet(EnumSet.noneOf(EdgeCase.class))
            : Collections.unmodifiableSet(EnumSet.copyOf(edgeCases));
    }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.seed = seed; b.chats = chats; b.chatsSet = true; b.targetBytes = targetBytes;
        b.meanDocumentBytes = meanDocumentBytes; b.sizeSigma = sizeSigma; b.maxDocumentBytes = maxDocumentBytes;
        b.edgeCaseShare = edgeCaseShare; b.edgeCases = EnumSet.noneOf(EdgeCase.class);
        b.edgeCases.addAll(edgeCases); b.incompressibleShare = incompressibleShare;
        b.sharedUserShare = sharedUserShare; b.users = users; b.epochBase = epochBase;
        return b;
    }

    public static final class Builder {
        private long seed = 42;
        private long chats = 1000;
        private boolean chatsSet;
        private long targetBytes = Long.MAX_VALUE;
        private int meanDocumentBytes = 64 * 1024;
        private double sizeSigma = 2.0;
        private int maxDocumentBytes = 64 << 20;
        private double edgeCaseShare = 0.01;
        private EnumSet<EdgeCase> edgeCases = EnumSet.copyOf(EdgeCase.defaults());
        private double incompressibleShare = 0.10;
        private double sharedUserShare = 0.02;
        private int users = 200;
        private long epochBase = 1_750_000_000L;   // 2025-06-15

        public Builder seed(long s) { seed = s; return this; }
        /** Number of chats; default 1000, or unlimited when only {@link #targetBytes} is given. */
        public Builder chats(long n) { chats = n; chatsSet = true; return this; }
        /** Stop at this many bytes of documents; unless {@link #chats} is also given, the chat count is then unlimited. */
        public Builder targetBytes(long n) { targetBytes = n; if (!chatsSet) chats = Long.MAX_VALUE; return this; }
        public Builder meanDocumentBytes(int n) { meanDocumentBytes = n; return this; }
        public Builder sizeSigma(double s) { sizeSigma = s; return this; }
        public Builder maxDocumentBytes(int n) { maxDocumentBytes = n; return this; }
        public Builder edgeCaseShare(double s) { edgeCaseShare = s; return this; }
        public Builder edgeCases(Set<EdgeCase> set) {
            edgeCases = set.isEmpty() ? EnumSet.noneOf(EdgeCase.class) : EnumSet.copyOf(set);
            return this;
        }
        public Builder incompressibleShare(double s) { incompressibleShare = s; return this; }
        public Builder sharedUserShare(double s) { sharedUserShare = s; return this; }
        public Builder users(int n) { users = n; return this; }
        public Builder epochBase(long s) { epochBase = s; return this; }

        public GeneratorOptions build() {
            require(chats >= 0, "chats must be >= 0, got " + chats);
            require(targetBytes > 0, "target bytes must be positive, got " + targetBytes);
            require(meanDocumentBytes >= 1024 && meanDocumentBytes <= (256 << 20),
                "mean document size must be between 1 KB and 256 MB, got " + meanDocumentBytes);
            require(sizeSigma >= 0 && sizeSigma <= 4, "size sigma must be between 0 and 4, got " + sizeSigma);
            require(maxDocumentBytes >= 4096 && maxDocumentBytes <= (1 << 30),
                "max document size must be between 4 KB and 1 GB, got " + maxDocumentBytes);
            require(maxDocumentBytes >= meanDocumentBytes,
                "max document size (" + maxDocumentBytes + ") is below the mean (" + meanDocumentBytes + ")");
            share(edgeCaseShare, "edge-case share");
            share(incompressibleShare, "incompressible share");
            share(sharedUserShare, "shared user share");
            require(edgeCaseShare == 0 || !edgeCases.isEmpty(), "edge-case share is " + edgeCaseShare + " but no edge case is enabled");
            require(users >= 1 && users <= 10_000_000, "users must be between 1 and 10,000,000, got " + users);
            require(epochBase >= 1_640_000_000L && epochBase <= 4_000_000_000L,
                "epoch base must be epoch seconds between 2022 and 2096, got " + epochBase);
            return new GeneratorOptions(seed, chats, targetBytes, meanDocumentBytes, sizeSigma, maxDocumentBytes,
                edgeCaseShare, edgeCases, incompressibleShare, sharedUserShare, users, epochBase);
        }

        private static void share(double v, String what) {
            require(v >= 0 && v <= 1, what + " must be between 0 and 1, got " + v);
        }

        private static void require(boolean ok, String message) {
            if (!ok) throw new IllegalArgumentException(message);
        }
    }
}
