package org.dpsynth.pe;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;

/**
 * PE's selection step (docs/design.md step 6), post-processing of the released histogram only: the
 * threshold H' = max(H − threshold, 0), then {@code sample} (draws proportional to H', with
 * replacement) or {@code rank} (the highest H'). An all-zero H' selects uniformly instead of
 * producing NaN, and says so through {@link Choice#uniformFallback()}.
 */
public final class Selection {
  private Selection() {}

  /** The chosen positions (indices into the candidate list) and whether the fallback was used. */
  public record Choice(int[] chosen, boolean uniformFallback) {}

  /** H' = max(H − threshold, 0) element-wise. */
  public static double[] threshold(double[] noisy, double threshold) {
    double[] out = new double[noisy.length];
    for (int i = 0; i < noisy.length; i++) {
      double v = noisy[i] - threshold;
      out[i] = v > 0 && Double.isFinite(v) ? v : 0.0;
    }
    return out;
  }

  /**
   * Chooses {@code m} of the candidates with weights {@code w} (already thresholded).
   *
   * @param method "sample" or "rank"
   */
  public static Choice choose(double[] w, int m, String method, SplittableRandom rng) {
    int n = w.length;
    if (n == 0 || m <= 0) {
      return new Choice(new int[0], false);
    }
    double total = 0;
    for (double x : w) {
      total += x;
    }
    boolean fallback = !(total > 0);
    int[] chosen = new int[m];
    if (method.equals("rank")) {
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      // Highest weight first; ties (and the all-zero fallback) keep index order.
      Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -w[i]).thenComparingInt(i -> i));
      for (int i = 0; i < m; i++) {
        chosen[i] = order[i % n];
      }
      return new Choice(chosen, fallback);
    }
    if (!method.equals("sample")) {
      throw new IllegalArgumentException("pe.selection: expected sample or rank, got " + method);
    }
    if (fallback) {
      for (int i = 0; i < m; i++) {
        chosen[i] = rng.nextInt(n);
      }
      return new Choice(chosen, true);
    }
    double[] cumulative = new double[n];
    double acc = 0;
    for (int i = 0; i < n; i++) {
      acc += w[i];
      cumulative[i] = acc;
    }
    for (int i = 0; i < m; i++) {
      double u = rng.nextDouble() * acc;
      int pos = Arrays.binarySearch(cumulative, u);
      pos = pos >= 0 ? pos + 1 : -pos - 1;
      // Skip zero-weight slots that share a cumulative value with their predecessor.
      while (pos < n - 1 && w[pos] == 0) {
        pos++;
      }
      chosen[i] = Math.min(pos, n - 1);
    }
    return new Choice(chosen, false);
  }

}
