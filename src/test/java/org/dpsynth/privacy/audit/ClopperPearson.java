package org.dpsynth.privacy.audit;

import org.apache.commons.math3.distribution.BetaDistribution;

/**
 * Exact (Clopper–Pearson 1934) one-sided confidence bounds for a binomial proportion, from the
 * Beta quantiles: lower = Beta(k, n−k+1).inv(α), upper = Beta(k+1, n−k).inv(1−α).
 */
public final class ClopperPearson {
  private ClopperPearson() {}

  /** A bound below p that holds with probability ≥ 1 − alpha, for k successes in n trials. */
  public static double lower(long k, long n, double alpha) {
    check(k, n, alpha);
    if (k == 0) {
      return 0.0;
    }
    return new BetaDistribution(null, k, n - k + 1.0).inverseCumulativeProbability(alpha);
  }

  /** A bound above p that holds with probability ≥ 1 − alpha, for k successes in n trials. */
  public static double upper(long k, long n, double alpha) {
    check(k, n, alpha);
    if (k == n) {
      return 1.0;
    }
    return new BetaDistribution(null, k + 1.0, n - k).inverseCumulativeProbability(1 - alpha);
  }

  private static void check(long k, long n, double alpha) {
    if (n < 1 || k < 0 || k > n) {
      throw new IllegalArgumentException("need 0 <= k <= n and n >= 1, got k=" + k + ", n=" + n);
    }
    if (!(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("alpha must be in (0, 1), got " + alpha);
    }
  }
}
