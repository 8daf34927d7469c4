package org.dpsynth.privacy;

/**
 * Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism (Mironov, Talwar, Zhang 2019,
 * "Rényi Differential Privacy of the Sampled Gaussian Mechanism", integer orders), composed over
 * steps and converted to (ε, δ) with the conversion of Balle et al. 2020 (Thm 21):
 * ε = min_α [ T·ε_α + log((α−1)/α) − (log δ + log α)/(α−1) ].
 *
 * <p>Each step samples every user independently with probability q and releases the sum of their
 * clipped contributions (L2 sensitivity 1 after dividing by the clip) plus N(0, z²) noise. With
 * q = 1 it is the plain Gaussian mechanism, whose RDP is α/(2z²). Everything is in log space.
 */
public final class RdpAccountant {
  /** Integer Rényi orders searched; wide enough for ε from about 0.05 to 100. */
  static final int MAX_ORDER = 1024;

  private RdpAccountant() {}

  /** RDP ε_α of ONE step at integer order α ≥ 2. */
  public static double rdpOfStep(double q, double noiseMultiplier, int alpha) {
    check(q, noiseMultiplier, 1);
    if (alpha < 2) {
      throw new IllegalArgumentException("alpha must be an integer >= 2, got " + alpha);
    }
    double twoSigmaSq = 2 * noiseMultiplier * noiseMultiplier;
    if (q == 1.0) {
      return alpha / twoSigmaSq;
    }
    // log A_α = log Σ_k C(α,k) (1−q)^(α−k) q^k exp((k² − k) / (2σ²))
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double max = Double.NEGATIVE_INFINITY;
    double[] terms = new double[alpha + 1];
    double logBinom = 0; // log C(α, 0)
    for (int k = 0; k <= alpha; k++) {
      if (k > 0) {
        logBinom += Math.log(alpha - k + 1) - Math.log(k);
      }
      terms[k] = logBinom + (alpha - k) * log1mQ + k * logQ + ((double) k * k - k) / twoSigmaSq;
      max = Math.max(max, terms[k]);
    }
    double sum = 0;
    for (double t : terms) {
      sum += Math.exp(t - max);
    }
    double logA = max + Math.log(sum);
    return Math.max(0, logA) / (alpha - 1);
  }

  /** ε of {@code steps} composed steps at {@code delta}, minimised over integer orders. */
  public static double epsilon(double q, double noiseMultiplier, long steps, double delta) {
    check(q, noiseMultiplier, steps);
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
    }
    double best = Double.POSITIVE_INFINITY;
    double logDelta = Math.log(delta);
    for (int alpha = 2; alpha <= MAX_ORDER; alpha++) {
      double rdp = steps * rdpOfStep(q, noiseMultiplier, alpha);
      double eps = rdp + Math.log1p(-1.0 / alpha) - (logDelta + Math.log(alpha)) / (alpha - 1);
      best = Math.min(best, eps);
    }
    return Math.max(0, best);
  }

  /**
   * The smallest noise multiplier (to relative precision 1e-6, on the safe side) with ε ≤ target
   * after {@code steps} steps at sampling rate {@code q}.
   */
  public static double calibrateNoiseMultiplier(double q, double epsilon, double delta, long steps) {
    if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be a finite number > 0, got " + epsilon);
    }
    double lo = 1e-3;
    double hi = 1.0;
    while (epsilon(q, hi, steps, delta) > epsilon) {
      hi *= 2;
      if (hi > 1e6) {
        throw new IllegalArgumentException("no noise multiplier up to 1e6 reaches epsilon " + epsilon);
      }
    }
    while (hi / lo > 1 + 1e-7) {
      double mid = Math.sqrt(lo * hi);
      if (epsilon(q, mid, steps, delta) > epsilon) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi;
  }

  /** {@code steps} releases, each of a sum over a Poisson(q) sample with noise multiplier z. */
  public record SubsampledRelease(double q, double noiseMultiplier, long steps) {
    public SubsampledRelease {
      check(q, noiseMultiplier, steps);
    }
  }

  /**
   * ε at {@code delta} of a heterogeneous composition (RDP adds up order by order), minimised over
   * integer orders; a plain Gaussian release is q = 1. An empty list is ε = 0.
   */
  public static double epsilon(java.util.List<SubsampledRelease> releases, double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
    }
    if (releases.isEmpty()) {
      return 0;
    }
    // Merge equal (q, z) so a ledger with one entry per DP-SGD step costs one term per order.
    java.util.Map<java.util.List<Double>, Long> merged = new java.util.LinkedHashMap<>();
    for (SubsampledRelease r : releases) {
      merged.merge(java.util.List.of(r.q(), r.noiseMultiplier()), r.steps(), Math::addExact);
    }
    double best = Double.POSITIVE_INFINITY;
    double logDelta = Math.log(delta);
    for (int alpha = 2; alpha <= MAX_ORDER; alpha++) {
      double rdp = 0;
      for (var e : merged.entrySet()) {
        rdp += e.getValue() * rdpOfStep(e.getKey().get(0), e.getKey().get(1), alpha);
      }
      double eps = rdp + Math.log1p(-1.0 / alpha) - (logDelta + Math.log(alpha)) / (alpha - 1);
      best = Math.min(best, eps);
    }
    return Math.max(0, best);
  }

  private static void check(double q, double noiseMultiplier, long steps) {
    if (!(q > 0 && q <= 1)) {
      throw new IllegalArgumentException("sampling rate q must be in (0, 1], got " + q);
    }
    if (!(noiseMultiplier > 0) || !Double.isFinite(noiseMultiplier)) {
      throw new IllegalArgumentException("noise multiplier must be a finite number > 0, got " + noiseMultiplier);
    }
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
  }
}
