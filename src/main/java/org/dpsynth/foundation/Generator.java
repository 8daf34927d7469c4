package org.dpsynth.foundation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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

  /**
   * {@link #random} with each text's provenance: a generator that can hand out copies of public
   * records says which texts are such copies. The default: every text is {@code GENERATED}.
   */
  default List<Text> randomWithProvenance(String label, int n, long seed) {
    return Text.generated(random(label, n, seed));
  }

  /**
   * {@link #variation(String, List, double, long)} with each text's provenance. A variation equal to
   * its input (degree 0, or nothing to vary) is reported as {@code GENERATED}; the caller, who knows
   * the input's provenance, keeps that one. The default: every text is {@code GENERATED}.
   */
  default List<Text> variationWithProvenance(String label, List<String> texts, double degree, long seed) {
    return Text.generated(variation(label, texts, degree, seed));
  }

  /** The {@code k} most likely next tokens after {@code prompt}, with natural-log probabilities. */
  List<TokenLogProb> topTokens(String prompt, int k);

  /**
   * Natural-log probabilities of the given next tokens after {@code prompt} ({@code -Infinity} for
   * a token the model gives no mass). DP few-shot generation restricts next-token distributions to
   * a public candidate set with it, and the in-context classifier scores labels with it.
   *
   * <p>The default asks {@link #topTokens} for the {@code max(20, 5 n)} most likely tokens and
   * looks each candidate up, first verbatim, then trimmed and lower-cased (API tokenisers often
   * carry a leading space); a model that can score any token exactly should override it.
   */
  default double[] logProbs(String prompt, List<String> tokens) {
    Map<String, Double> verbatim = new HashMap<>();
    Map<String, Double> normalised = new HashMap<>();
    for (TokenLogProb t : topTokens(prompt, Math.max(20, 5 * tokens.size()))) {
      verbatim.putIfAbsent(t.token(), t.logProb());
      normalised.putIfAbsent(normalise(t.token()), t.logProb());
    }
    double[] out = new double[tokens.size()];
    for (int i = 0; i < out.length; i++) {
      Double lp = verbatim.get(tokens.get(i));
      if (lp == null) {
        lp = normalised.get(normalise(tokens.get(i)));
      }
      out[i] = lp == null ? Double.NEGATIVE_INFINITY : lp;
    }
    return out;
  }

  /**
   * The token that ends a text in {@link #topTokens} and {@link #logProbs}. The default is the
   * newline, which is how a completion API ends a one-line answer.
   */
  default String endOfText() {
    return "\n";
  }

  private static String normalise(String token) {
    return token.trim().toLowerCase(Locale.ROOT);
  }

  @Override
  default void close() {}

  /** A candidate next token and its log-probability. */
  record TokenLogProb(String token, double logProb) {}

  /**
   * Where a synthetic text comes from: written by the model ({@code GENERATED}, possibly a rewrite
   * of public text), or a verbatim copy of a public record ({@code PUBLIC}).
   */
  enum Provenance {
    GENERATED,
    PUBLIC;

    /** The value in the synthetic data's {@code provenance} column. */
    public String column() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The provenance named by a {@code provenance} column value. */
    public static Provenance ofColumn(String value) {
      return valueOf(value.toUpperCase(Locale.ROOT));
    }
  }

  /** A text and its provenance. */
  record Text(String text, Provenance provenance) {
    static List<Text> generated(List<String> texts) {
      List<Text> out = new ArrayList<>(texts.size());
      texts.forEach(t -> out.add(new Text(t, Provenance.GENERATED)));
      return out;
    }
  }
}
