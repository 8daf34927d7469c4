package org.dpsynth.fewshot;

import java.util.ArrayList;
import java.util.List;
import org.dpsynth.foundation.Generator;
import org.dpsynth.privacy.GridGaussianMechanism;

/**
 * Next-token distributions restricted to a public candidate set ("Reduce Vocab Publicly", Tang et
 * al. 2024) and their sensitivity.
 *
 * <p>Each subset's distribution p is a probability vector on the k candidates, so for two
 * subsets' distributions ‖p − p'‖₂² ≤ ‖p − p'‖₁·max|p_i − p'_i| ≤ 2, i.e. ‖p − p'‖₂ ≤ √2 (equality
 * for two different point masses). Vectors are rounded to the grid g of {@link #mechanism(int)}
 * (clip 2, so g·√k ≤ 2^-14) before summing, which adds at most g·√k:
 * {@link #SENSITIVITY} = √2 + 2^-14 bounds the change of the sum over the M subsets when one
 * subset's examples change.
 */
public final class TokenDistributions {
  /** L2 sensitivity of the quantised sum of the M subset distributions (one subset changes). */
  public static final double SENSITIVITY = Math.sqrt(2) + 0x1p-14;

  private TokenDistributions() {}

  /** The grid mechanism whose quantiser and release are used for k candidates. */
  public static GridGaussianMechanism mechanism(int k) {
    GridGaussianMechanism m = new GridGaussianMechanism(2.0, k);
    if (m.grid() * Math.sqrt(k) > 0x1p-14) {
      throw new IllegalStateException("grid too coarse for the stated sensitivity");
    }
    return m;
  }

  /** The public candidate set: the top-k tokens after the public prompt. */
  public static List<String> candidates(Generator generator, String publicPrompt, int k) {
    List<String> out = new ArrayList<>();
    for (Generator.TokenLogProb t : generator.topTokens(publicPrompt, k)) {
      out.add(t.token());
    }
    return out;
  }

  /**
   * The next-token distribution after {@code prompt}, restricted to {@code candidates} and
   * renormalised (uniform if the generator gives them no mass).
   */
  public static double[] restricted(Generator generator, String prompt, List<String> candidates) {
    double[] logp = generator.logProbs(prompt, candidates);
    double max = Double.NEGATIVE_INFINITY;
    for (double l : logp) {
      max = Math.max(max, l);
    }
    double[] p = new double[logp.length];
    if (max == Double.NEGATIVE_INFINITY || Double.isNaN(max)) {
      java.util.Arrays.fill(p, 1.0 / p.length);
      return p;
    }
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.exp(logp[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** Index of the largest value (the first on ties). */
  public static int argmax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
