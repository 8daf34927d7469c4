package org.dpsynth.privacy;

import java.util.List;
import java.util.Objects;

/**
 * Exact privacy accounting for compositions of Gaussian mechanisms via Gaussian differential
 * privacy (Dong, Roth, Su, "Gaussian Differential Privacy", JRSS-B 2022).
 *
 * <p>A release with L2 sensitivity Δ and noise N(0, σ²) is μ-GDP with μ = Δ/σ; releases compose
 * to μ = √(Σ_i T_i·(Δ_i/σ_i)²). A μ-GDP mechanism is (ε, δ(ε))-DP for every ε ≥ 0 with the tight
 * curve of Balle and Wang (ICML 2018, "Improving the Gaussian Mechanism for Differential Privacy",
 * Theorem 8):
 *
 * <pre>δ(ε) = Φ(−ε/μ + μ/2) − e^ε · Φ(−ε/μ − μ/2).</pre>
 *
 * <p>The curve is evaluated in log space (see {@link #delta(double, double)}), so ε = 50 or μ =
 * 1000 neither overflow nor cancel to garbage. Inversions ({@link #epsilon(double, double)},
 * {@link #calibrateNoiseMultiplier(double, double, long)}) are bisections that always return the
 * conservative end of the final bracket.
 */
public final class GaussianAccountant {

  /**
   * Upper bound on the relative error of {@link #delta(double, double)}: 1e-9 for μ ≥ 1e-6,
   * growing like 1/μ below (S(a) − S(b) ≈ μ·S' then loses digits), verified in the tests against
   * a BigDecimal evaluation with 60+ spare digits. The inversions demand δ(ε)·(1 + bound) ≤
   * target, so a returned ε is safe for the exact curve too, not only for its floating-point image.
   */
  static double deltaRelativeErrorBound(double mu) {
    return 1e-9 * Math.max(1, 1e-6 / mu);
  }

  private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
  private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

  private GaussianAccountant() {}

  /**
   * One Gaussian mechanism applied {@code steps} times: noise N(0, noiseStddev²) per coordinate
   * added to a query of L2 sensitivity {@code sensitivity} (the same units as the noise).
   */
  public record GaussianRelease(double noiseStddev, double sensitivity, long steps) {
    public GaussianRelease {
      requirePositiveFinite("noiseStddev", noiseStddev);
      requirePositiveFinite("sensitivity", sensitivity);
      if (steps < 1) {
        throw new IllegalArgumentException("steps must be >= 1, got " + steps);
      }
    }

    /** This release's contribution to μ², i.e. steps·(sensitivity/noiseStddev)². */
    public double muSquared() {
      double r = sensitivity / noiseStddev;
      return steps * r * r;
    }
  }

  /** μ of the composition of the given releases: √(Σ steps·(Δ/σ)²). Empty list gives 0. */
  public static double mu(List<GaussianRelease> releases) {
    Objects.requireNonNull(releases, "releases");
    double sum = 0;
    for (GaussianRelease r : releases) {
      sum += Objects.requireNonNull(r, "release").muSquared();
    }
    return Math.sqrt(sum);
  }

  /** ε of the composed releases at the given δ (0 if there are none). */
  public static double epsilon(List<GaussianRelease> releases, double delta) {
    requireDelta(delta);
    double mu = mu(releases);
    if (mu == 0) {
      return 0;
    }
    return epsilon(mu, delta);
  }

  /**
   * δ(ε) of a μ-GDP mechanism: Φ(−ε/μ + μ/2) − e^ε·Φ(−ε/μ − μ/2).
   *
   * <p>With a = −ε/μ + μ/2 and b = −ε/μ − μ/2 one has (b² − a²)/2 = ε exactly, so with S(x) = log
   * Φ(x) + x²/2 (a slowly varying function) the ratio of the two terms is e^{−(S(a) − S(b))}, and
   * δ = Φ(a)·(−expm1(−(S(a) − S(b)))). No e^ε is ever formed and no large logs are subtracted.
   *
   * @param mu GDP parameter, &gt; 0 and finite
   * @param epsilon ε ≥ 0 and finite
   */
  public static double delta(double mu, double epsilon) {
    requirePositiveFinite("mu", mu);
    if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be finite and >= 0, got " + epsilon);
    }
    double a = -epsilon / mu + mu / 2;
    double b = -epsilon / mu - mu / 2;
    double logPhiA = logPhi(a);
    // b ≤ −μ/2 < 0, so S(b) is always finite; S(a) may be +∞ when μ is huge, giving δ = Φ(a).
    double gap = scaledLogPhi(a) - scaledLogPhi(b);
    double d = Math.exp(logPhiA) * -Math.expm1(-gap);
    return Math.max(0, d);
  }

  /**
   * Smallest ε ≥ 0 with δ(ε) ≤ delta for a μ-GDP mechanism (0 when δ(0) ≤ delta already). The
   * result is the upper end of a bisection bracket whose width is below 1e-12 relative, and it
   * satisfies δ(ε)·(1 + 1e-9) ≤ delta (for μ ≥ 1e-6; a wider margin below), i.e. it is on the safe
   * side of the exact curve, not just of its floating-point evaluation.
   *
   * @param mu GDP parameter, &gt; 0 and finite
   * @param delta target δ in (0, 1)
   */
  public static double epsilon(double mu, double delta) {
    requirePositiveFinite("mu", mu);
    requireDelta(delta);
    if (safeAt(mu, 0, delta)) {
      return 0;
    }
    double lo = 0;
    double hi = Math.max(1.0, mu * mu);
    while (!safeAt(mu, hi, delta)) {
      lo = hi;
      hi *= 2;
      if (Double.isInfinite(hi)) {
        throw new IllegalArgumentException(
            "mu = " + mu + " is too large: no finite epsilon reaches delta = " + delta);
      }
    }
    // Invariant: delta(lo) too large (or lo = 0 which failed above), delta(hi) safe.
    while (hi - lo > 1e-13 * hi) {
      double mid = lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) {
        break;
      }
      if (safeAt(mu, mid, delta)) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return hi;
  }

  /**
   * Smallest noise multiplier z (noise stddev = z·sensitivity per release) such that {@code steps}
   * releases satisfy (epsilon, delta)-DP, i.e. {@link #epsilon(double, double)} at μ = √steps/z is
   * ≤ epsilon. The returned z is the safe end of the bisection bracket (ε(z) ≤ target) and ε(z) is
   * within 1e-9 relative of the target.
   */
  public static double calibrateNoiseMultiplier(double epsilon, double delta, long steps) {
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be finite and > 0, got " + epsilon);
    }
    requireDelta(delta);
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    // ε(z) decreases in z. Find lo (too little noise) and hi (enough noise).
    double hi = Math.sqrt((double) steps);
    while (!enoughNoise(hi, steps, epsilon, delta)) {
      hi *= 2;
      if (Double.isInfinite(hi)) {
        throw new IllegalArgumentException(
            "no finite noise multiplier reaches epsilon = " + epsilon + ", delta = " + delta);
      }
    }
    double lo = hi / 2;
    while (enoughNoise(lo, steps, epsilon, delta)) {
      hi = lo;
      lo /= 2;
      if (lo == 0) {
        throw new IllegalArgumentException(
            "epsilon = " + epsilon + " with delta = " + delta + " needs no noise at all");
      }
    }
    while (hi - lo > 1e-13 * hi) {
      double mid = lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) {
        break;
      }
      if (enoughNoise(mid, steps, epsilon, delta)) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return hi;
  }

  /** ε of {@code steps} releases with noise multiplier z (stddev/sensitivity) at the given δ. */
  public static double epsilonForNoiseMultiplier(double z, long steps, double delta) {
    return epsilon(List.of(new GaussianRelease(z, 1.0, steps)), delta);
  }

  // Must compute μ exactly as epsilon(List, δ) does, so the calibrated z checks out bit for bit.
  private static boolean enoughNoise(double z, long steps, double epsilon, double delta) {
    double mu = mu(List.of(new GaussianRelease(z, 1.0, steps)));
    if (Double.isInfinite(mu)) {
      return false;
    }
    if (mu == 0) {
      return true;
    }
    return epsilon(mu, delta) <= epsilon;
  }

  private static boolean safeAt(double mu, double epsilon, double delta) {
    return delta(mu, epsilon) * (1 + deltaRelativeErrorBound(mu)) <= delta;
  }

  // ---------------------------------------------------------------------------------------------
  // Standard normal CDF in log space.

  /** log Φ(x), accurate to a few ulps of relative error for every finite x. */
  static double logPhi(double x) {
    if (x < -2) {
      // log Φ(x) = log φ(t) + log R(t), t = −x, R the Mills ratio.
      double t = -x;
      return -0.5 * t * t - HALF_LOG_2PI + Math.log(millsRatio(t));
    }
    if (x <= 0) {
      return Math.log(0.5 + phiSeriesOffset(x));
    }
    if (x <= 2) {
      // Φ(x) = 1 − Q(x) with Q = 1/2 − offset ∈ [0.023, 0.5]; log1p keeps log Φ near 0 accurate.
      return Math.log1p(-(0.5 - phiSeriesOffset(x)));
    }
    double t = x;
    if (t > 40) {
      return -Math.exp(-0.5 * t * t - HALF_LOG_2PI) * millsRatio(t);
    }
    return Math.log1p(-Math.exp(-0.5 * t * t - HALF_LOG_2PI) * millsRatio(t));
  }

  /** S(x) = log Φ(x) + x²/2, computed without forming x²/2 where x &lt; −2 (no cancellation). */
  static double scaledLogPhi(double x) {
    if (x < -2) {
      return -HALF_LOG_2PI + Math.log(millsRatio(-x));
    }
    return logPhi(x) + 0.5 * x * x;
  }

  /**
   * Φ(x) − 1/2 for |x| ≤ 2 from Φ(x) = 1/2 + φ(x)·Σ_n x^{2n+1}/(2n+1)!!, whose terms all have the
   * sign of x (no cancellation inside the sum; adding 1/2 loses &lt; 2 digits at x = −2).
   */
  private static double phiSeriesOffset(double x) {
    double x2 = x * x;
    double term = x;
    double sum = x;
    for (int k = 3; k < 200; k += 2) {
      term *= x2 / k;
      double next = sum + term;
      if (next == sum) {
        break;
      }
      sum = next;
    }
    return INV_SQRT_2PI * Math.exp(-0.5 * x2) * sum;
  }

  /**
   * Mills ratio R(t) = (1 − Φ(t))/φ(t) for t ≥ 2 by Laplace's continued fraction
   * R(t) = 1/(t + 1/(t + 2/(t + 3/(t + ...)))), evaluated backwards from a depth that is ample for
   * full double precision at t ≥ 2 (checked in the tests against a BigDecimal reference).
   */
  static double millsRatio(double t) {
    if (t > 1e8) {
      // R(t) = 1/t · (1 − 1/t² + 3/t⁴ − ...); beyond 1e8 the correction is below 1e-16.
      return 1 / t;
    }
    int depth = t < 3 ? 600 : t < 5 ? 250 : t < 10 ? 120 : 60;
    double f = t;
    for (int k = depth; k >= 1; k--) {
      f = t + k / f;
    }
    return 1 / f;
  }

  // ---------------------------------------------------------------------------------------------

  static void requirePositiveFinite(String name, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(name + " must be finite and > 0, got " + value);
    }
  }

  static void requireDelta(double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
    }
  }
}
