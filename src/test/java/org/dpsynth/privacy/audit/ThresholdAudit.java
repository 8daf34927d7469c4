package org.dpsynth.privacy.audit;

import java.util.Arrays;
import org.apache.commons.math3.distribution.BinomialDistribution;

/**
 * An empirical lower bound on the ε of a mechanism from black-box samples of its output on two
 * neighbouring datasets D and D' (Jagielski, Ullman, Oprea 2020; Nasr et al. 2021). An (ε, δ)-DP
 * mechanism satisfies P[M(A) ∈ S] ≤ e^ε·P[M(B) ∈ S] + δ for every set S and (A, B) = (D, D') or
 * (D', D); for S a threshold set {x ≥ τ} or {x < τ} of one output coordinate this gives
 * ε ≥ ln((P_A(S) − δ) / P_B(S)). Both probabilities are replaced by Clopper–Pearson bounds (P_A
 * from below, P_B from above, each at level (1 − confidence)/2), so the bound holds with
 * probability ≥ confidence for a threshold fixed in advance.
 *
 * <p>The threshold is chosen on the first half of the samples and the bound is computed on the
 * second half only, so the choice does not bias the bound.
 */
public final class ThresholdAudit {
  private static final int MAX_CANDIDATES = 400;

  private ThresholdAudit() {}

  /** Which set S the test uses and which dataset plays A (the numerator). */
  public enum Test {
    /** S = {x ≥ τ}, A = D'. */
    ABOVE_FAVOURS_D_PRIME,
    /** S = {x < τ}, A = D. */
    BELOW_FAVOURS_D,
    /** S = {x < τ}, A = D'. */
    BELOW_FAVOURS_D_PRIME,
    /** S = {x ≥ τ}, A = D. */
    ABOVE_FAVOURS_D
  }

  /**
   * @param epsilonLowerBound the bound (0 when no test gives a positive one)
   * @param countA how many evaluation samples of A fell in S (out of {@code trials})
   * @param countB how many evaluation samples of B fell in S
   */
  public record Result(double epsilonLowerBound, double threshold, Test test, long countA, long countB, int trials) {}

  /**
   * Audits with outputs {@code onD} and {@code onDPrime} (the attacked coordinate, one value per
   * independent run; equal lengths ≥ 4).
   */
  public static Result audit(double[] onD, double[] onDPrime, double delta, double confidence) {
    if (onD.length != onDPrime.length || onD.length < 4) {
      throw new IllegalArgumentException("need two sample arrays of equal length >= 4");
    }
    if (!(delta >= 0 && delta < 1) || !(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException("need 0 <= delta < 1 and 0 < confidence < 1");
    }
    double alpha = (1 - confidence) / 2;
    int half = onD.length / 2;
    double[] calD = sorted(onD, 0, half);
    double[] calP = sorted(onDPrime, 0, half);
    double[] evD = sorted(onD, half, 2 * half);
    double[] evP = sorted(onDPrime, half, 2 * half);

    double[] pooled = new double[2 * half];
    System.arraycopy(calD, 0, pooled, 0, half);
    System.arraycopy(calP, 0, pooled, half, half);
    Arrays.sort(pooled);
    double best = Double.NEGATIVE_INFINITY;
    double bestTau = pooled[0];
    Test bestTest = Test.ABOVE_FAVOURS_D_PRIME;
    int step = Math.max(1, pooled.length / MAX_CANDIDATES);
    for (int i = 0; i < pooled.length; i += step) {
      double tau = pooled[i];
      for (Test t : Test.values()) {
        double b = bound(t, tau, calD, calP, half, delta, alpha);
        if (b > best) {
          best = b;
          bestTau = tau;
          bestTest = t;
        }
      }
    }
    long[] counts = counts(bestTest, bestTau, evD, evP);
    double eps = bound(counts[0], counts[1], half, delta, alpha);
    return new Result(Math.max(0.0, eps), bestTau, bestTest, counts[0], counts[1], half);
  }

  /** ln((lower(kA) − δ) / upper(kB)), −∞ when the numerator is not positive. */
  public static double bound(long countA, long countB, int trials, double delta, double alpha) {
    double a = ClopperPearson.lower(countA, trials, alpha) - delta;
    if (a <= 0) {
      return Double.NEGATIVE_INFINITY;
    }
    return Math.log(a / ClopperPearson.upper(countB, trials, alpha));
  }

  private static double bound(Test t, double tau, double[] d, double[] p, int n, double delta, double alpha) {
    long[] c = counts(t, tau, d, p);
    return bound(c[0], c[1], n, delta, alpha);
  }

  /** {count of A in S, count of B in S} on sorted samples. */
  private static long[] counts(Test t, double tau, double[] d, double[] p) {
    long dAbove = d.length - lowerIndex(d, tau);
    long pAbove = p.length - lowerIndex(p, tau);
    return switch (t) {
      case ABOVE_FAVOURS_D_PRIME -> new long[] {pAbove, dAbove};
      case ABOVE_FAVOURS_D -> new long[] {dAbove, pAbove};
      case BELOW_FAVOURS_D -> new long[] {d.length - dAbove, p.length - pAbove};
      case BELOW_FAVOURS_D_PRIME -> new long[] {p.length - pAbove, d.length - dAbove};
    };
  }

  /** Index of the first element ≥ tau in a sorted array. */
  private static int lowerIndex(double[] a, double tau) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < tau) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static double[] sorted(double[] a, int from, int to) {
    double[] s = Arrays.copyOfRange(a, from, to);
    Arrays.sort(s);
    return s;
  }

  /**
   * The probability that the bound computed on {@code trials} evaluation samples exceeds {@code
   * epsilon} for a fixed test whose true probabilities are pA (numerator set) and pB; used to size
   * audits (false failures of a correct mechanism, misses of a broken one). Exact up to the
   * Binomial tails beyond 1e-16 that it adds in full (so it errs upward).
   */
  public static double probabilityBoundExceeds(double pA, double pB, int trials, double delta, double epsilon, double confidence) {
    double alpha = (1 - confidence) / 2;
    BinomialDistribution kB = new BinomialDistribution(null, trials, pB);
    int lo = pB == 0 ? 0 : kB.inverseCumulativeProbability(1e-16);
    int hi = pB == 0 ? 0 : kB.inverseCumulativeProbability(1 - 1e-16);
    double p = (lo > 0 ? kB.cumulativeProbability(lo - 1) : 0) + (1 - kB.cumulativeProbability(hi));
    BinomialDistribution kA = pA == 0 ? null : new BinomialDistribution(null, trials, pA);
    for (int b = lo; b <= hi; b++) {
      double target = Math.exp(epsilon) * ClopperPearson.upper(b, trials, alpha) + delta;
      if (target >= 1 || kA == null) {
        continue;
      }
      // lower(a) > target  <=>  P[Bin(n, target) >= a] < alpha; q+1 is the first such a or one before it.
      int q = new BinomialDistribution(null, trials, target).inverseCumulativeProbability(1 - alpha);
      double pa = q + 1 > trials ? 0 : 1 - kA.cumulativeProbability(q);
      p += kB.probability(b) * pa;
    }
    return Math.min(1.0, p);
  }
}
