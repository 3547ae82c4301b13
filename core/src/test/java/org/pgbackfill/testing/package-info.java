/**
 * The test-side foundation: a reference for what the backfill must produce, written independently
 * of the production extractor, and the means to compare a real run against it.
 *
 * <pre>
 * &#64;RegisterExtension static PostgresFixture pg = new PostgresFixture();   // fresh database per class
 *
 * try (Connection c = pg.connect()) {
 *     OpenWebUiDatabase.createSchema(c);                  // chat at 374d2f66af06
 *     EdgeCaseCorpus.load(c, EdgeCaseCorpus.DEFAULT_NOW); // or OpenWebUiDatabase.insertChats(c, fixtures)
 *     ReferenceBackfill.Expectation want = ReferenceBackfill.run(c, EdgeCaseCorpus.DEFAULT_NOW);
 *     // … run the production backfill with the same "now" …
 *     ChatMessageComparison.assertMatches(c, want);
 *     ChatMessageComparison.assertNoDifferences("rejections",
 *         ChatMessageComparison.rejectionDifferences(want.messageRejections(), rejectionsReadFromTheRun));
 * }
 * </pre>
 *
 * <p>{@link org.pgbackfill.testing.ReferenceExtractor} follows SPEC.md and the upstream Python
 * literally; {@link org.pgbackfill.testing.EdgeCaseCorpus} carries hand-computed expectations that
 * {@code EdgeCaseCorpusTest} holds the reference to. JSON equality is {@link org.pgbackfill.testing.ExactJson#equal}:
 * key order and number literals matter.
 */
package org.pgbackfill.testing;
