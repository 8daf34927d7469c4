package org.dpsynth.foundation;

import java.util.List;

/**
 * The foundation-model API that Private Evolution and DP few-shot generation need: unconditional
 * (label-conditioned) samples, (label-conditioned) variations of given samples, and next-token
 * distributions.
 *
 * <p>Implementations are deterministic for a given seed where the backend allows it, and
 * thread-safe.
 */
public interface Generator extends AutoCloseable {

  /** {@code n} new texts for {@code label} (PE's RANDOM_API). */
  List<String> random(String label, int n, long seed);

  /**
   * One variation of each input text (PE's VARIATION_API). {@code degree} in [0, 1] is how far a
   * variation may move from its input: 0 returns the input unchanged.
   */
  List<String> variation(List<String> texts, double degree, long seed);

  /**
   * Class-conditional VARIATION_API (Aug-PE): one variation of each input text, all of which belong
   * to {@code label}, so a generator can keep each variation in its class (the label and its
   * configured keywords are public). Same contract as {@link #variation(List, double, long)}
   * otherwise; the default ignores the label.
   */
  default List<String> variation(String label, List<String> texts, double degree, long seed) {
    return variation(texts, degree, seed);
  }

  /** The {@code k} most likely next tokens after {@code prompt}, with natural-log probabilities. */
  List<TokenLogProb> topTokens(String prompt, int k);

  @Override
  default void close() {}

  /** A candidate next token and its log-probability. */
  record TokenLogProb(String token, double logProb) {}
}
