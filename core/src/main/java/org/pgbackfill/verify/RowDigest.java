package org.pgbackfill.verify;

/** 128 bits of the SHA-256 of a row's canonical form (every column but the timestamps); equal content, equal digest. */
record RowDigest(long high, long low) {
}
