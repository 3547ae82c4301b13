package org.pgbackfill.verify;

import org.pgbackfill.db.DatabaseUrl;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything a check is told, validated once in {@link Builder#build()}.
 *
 * @param samplePercent       check only this share of chats (0 < p ≤ 100), or null for all
 * @param nowEpoch            the "now" the run used for timestamp fallbacks, or null: then the last
 *                            finished run's, from {@code schema}, or else unknown ({@link CreatedAtRule})
 * @param schema              the tool's schema, where a pgbackfill run left its "now" and rejections
 * @param maxMismatches       how many mismatches are kept with their details (all are counted)
 * @param inlineDocumentBytes larger documents are read in chunks, as in the load phase
 * @param rangesPerWorker     ranges of chat ids planned per worker
 */
public record VerifyConfig(DatabaseUrl database, int workers, Double samplePercent, Long nowEpoch, String schema,
                           int maxMismatches, int inlineDocumentBytes, int rangesPerWorker, Verifier.Progress progress) {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        private DatabaseUrl database;
        private int workers = Math.max(1, Runtime.getRuntime().availableProcessors());
        private Double samplePercent;
        private Long nowEpoch;
        private String schema = "pgbackfill";
        private int maxMismatches = 50;
        private int inlineDocumentBytes = 8 << 20;
        private int rangesPerWorker = 8;
        private Verifier.Progress progress = Verifier.Progress.NONE;

        public Builder database(DatabaseUrl url) { database = url; return this; }
        public Builder databaseUrl(String url) { database = DatabaseUrl.parse(url); return this; }
        public Builder workers(int n) { workers = n; return this; }
        public Builder samplePercent(Double p) { samplePercent = p; return this; }
        public Builder nowEpoch(Long s) { nowEpoch = s; return this; }
        public Builder schema(String s) { schema = s; return this; }
        public Builder maxMismatches(int n) { maxMismatches = n; return this; }
        public Builder inlineDocumentBytes(int n) { inlineDocumentBytes = n; return this; }
        public Builder rangesPerWorker(int n) { rangesPerWorker = n; return this; }
        public Builder progress(Verifier.Progress p) { progress = Objects.requireNonNull(p); return this; }

        public VerifyConfig build() {
            if (database == null) throw new IllegalArgumentException("no database given");
            require(workers >= 1 && workers <= 256, "workers must be between 1 and 256, got " + workers);
            require(samplePercent == null || samplePercent > 0 && samplePercent <= 100,
                "sample must be a percentage above 0 and at most 100, got " + samplePercent);
            require(nowEpoch == null || nowEpoch > 0, "now-epoch must be positive epoch seconds, got " + nowEpoch);
            require(schema != null && IDENTIFIER.matcher(schema).matches() && !schema.equals("public"),
                "schema must be a lower-case SQL identifier other than public, got '" + schema + "'");
            require(maxMismatches >= 0 && maxMismatches <= 1_000_000, "max mismatches must be 0..1000000, got " + maxMismatches);
            require(inlineDocumentBytes >= 1024, "inline document bytes must be at least 1024, got " + inlineDocumentBytes);
            require(rangesPerWorker >= 1 && rangesPerWorker <= 1000, "ranges per worker must be 1..1000, got " + rangesPerWorker);
            Double sample = samplePercent != null && samplePercent >= 100 ? null : samplePercent;
            return new VerifyConfig(database, workers, sample, nowEpoch, schema, maxMismatches, inlineDocumentBytes,
                rangesPerWorker, progress);
        }

        private static void require(boolean ok, String message) {
            if (!ok) throw new IllegalArgumentException(message);
        }
    }
}
