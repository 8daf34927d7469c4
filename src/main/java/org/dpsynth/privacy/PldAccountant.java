package org.dpsynth.privacy;

import java.util.List;
import java.util.Objects;

/**
 * Privacy-loss-distribution (PLD) accountant for compositions of Poisson-subsampled Gaussian
 * mechanisms under add-or-remove-one adjacency (Koskela, Jälkö, Honkela 2020, "Computing tight
 * differential privacy guarantees using FFT"; Koskela and Honkela 2021 for heterogeneous
 * compositions; the pessimistic discretisation of Meiser and Mohammadi 2018 as used by Google's
 * dp_accounting).
 *
 * <p>One step samples every user with probability q and adds N(0, z²) to a query of L2
 * sensitivity 1. The worst-case pair of output distributions is one-dimensional: P = (1−q)·N(0,
 * z²) + q·N(1, z²) against Q = N(0, z²) for removing a user, and the swapped pair for adding one.
 * Each direction's privacy loss L = log(P(X)/Q(X)), X ~ P, is monotone in X, so its distribution is
 * discretised <em>exactly pessimistically</em>: the P-mass of {L ∈ (l_{i−1}, l_i]} (computed from
 * normal CDFs at the pre-images of the grid points) is put on l_i = i·h, mass beyond the far tail
 * is put on +∞ and mass below the near tail on the first grid point. Rounding every loss up couples
 * the discrete loss above the true one, so for the composition (a convolution, done by FFT)
 * δ(ε) = E[(1 − e^{ε − ΣL})₊] + P(ΣL = ∞) is an upper bound on the true δ(ε) up to FFT round-off
 * (≈1e-13 absolute, clamped at zero) and the truncated tails (≤ 1e-15 per truncation, added to the
 * +∞ mass). The reported ε is the larger of the two directions (dp_accounting does the same).
 *
 * <p>With q = 1 this is the Gaussian mechanism, whose exact curve is {@link GaussianAccountant}
 * (μ = √T/z); the discretisation adds at most T·h to ε.
 */
public final class PldAccountant {

  /** Default loss grid h (dp_accounting's default value_discretization_interval). */
  public static final double DEFAULT_GRID = 1e-4;

  /** Tail mass cut from each side of a one-step distribution and of every convolution. */
  static final double TAIL_MASS = 1e-15;

  /** z·Z with Z ≥ this many standard deviations carries less than {@link #TAIL_MASS}/4. */
  private static final double TAIL_SIGMAS = 8.3;

  private PldAccountant() {}

  /** {@code steps} Poisson-subsampled Gaussian steps: rate q, noise multiplier z (stddev/Δ). */
  public record SubsampledGaussian(double q, double noiseMultiplier, long steps) {
    public SubsampledGaussian {
      if (!(q > 0 && q <= 1)) {
        throw new IllegalArgumentException("sampling rate q must be in (0, 1], got " + q);
      }
      if (!(noiseMultiplier > 0) || !Double.isFinite(noiseMultiplier)) {
        throw new IllegalArgumentException(
            "noise multiplier must be a finite number > 0, got " + noiseMultiplier);
      }
      if (steps < 1) {
        throw new IllegalArgumentException("steps must be >= 1, got " + steps);
      }
    }
  }

  /** ε at {@code delta} of T steps of one subsampled Gaussian (grid {@link #DEFAULT_GRID}). */
  public static double epsilon(double q, double noiseMultiplier, long steps, double delta) {
    return epsilon(List.of(new SubsampledGaussian(q, noiseMultiplier, steps)), delta, DEFAULT_GRID);
  }

  /** δ at {@code epsilon} of T steps of one subsampled Gaussian (grid {@link #DEFAULT_GRID}). */
  public static double delta(double q, double noiseMultiplier, long steps, double epsilon) {
    return delta(List.of(new SubsampledGaussian(q, noiseMultiplier, steps)), epsilon, DEFAULT_GRID);
  }

  /** ε at {@code delta} of the composition of all given releases (0 for none). */
  public static double epsilon(List<SubsampledGaussian> releases, double delta, double grid) {
    GaussianAccountant.requireDelta(delta);
    if (releases.isEmpty()) {
      return 0;
    }
    double eps = 0;
    for (boolean remove : directions(releases)) {
      eps = Math.max(eps, compose(releases, remove, grid).epsilon(delta));
    }
    return eps;
  }

  /** δ at {@code epsilon} of the composition of all given releases (0 for none). */
  public static double delta(List<SubsampledGaussian> releases, double epsilon, double grid) {
    if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be finite and >= 0, got " + epsilon);
    }
    if (releases.isEmpty()) {
      return 0;
    }
    double d = 0;
    for (boolean remove : directions(releases)) {
      d = Math.max(d, compose(releases, remove, grid).delta(epsilon));
    }
    return d;
  }

  /**
   * The smallest noise multiplier z (relative precision 1e-4, on the safe side: ε(z) ≤ target)
   * for {@code steps} steps at rate q.
   */
  public static double calibrateNoiseMultiplier(double q, double epsilon, double delta, long steps) {
    if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be a finite number > 0, got " + epsilon);
    }
    GaussianAccountant.requireDelta(delta);
    // RDP is an upper bound on the true ε, so its calibration is enough noise; search below it.
    double hi = RdpAccountant.calibrateNoiseMultiplier(q, epsilon, delta, steps);
    if (epsilon(q, hi, steps, delta) > epsilon) {
      // Discretisation error can exceed RDP's slack for tiny targets: widen.
      while (epsilon(q, hi, steps, delta) > epsilon) {
        hi *= 1.25;
      }
    }
    double lo = hi / 2;
    while (epsilon(q, lo, steps, delta) <= epsilon) {
      hi = lo;
      lo /= 2;
    }
    while (hi / lo > 1 + 1e-4) {
      double mid = Math.sqrt(lo * hi);
      if (epsilon(q, mid, steps, delta) > epsilon) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi;
  }

  // ---------------------------------------------------------------------------------------------

  /** Both directions; with q = 1 everywhere they are the same distribution (Gaussian symmetry). */
  private static boolean[] directions(List<SubsampledGaussian> releases) {
    boolean allFull = releases.stream().allMatch(r -> r.q() == 1.0);
    return allFull ? new boolean[] {true} : new boolean[] {true, false};
  }

  private static Pmf compose(List<SubsampledGaussian> releases, boolean remove, double grid) {
    Objects.requireNonNull(releases, "releases");
    if (!(grid > 0) || !(grid <= 0.1)) {
      throw new IllegalArgumentException("grid must be in (0, 0.1], got " + grid);
    }
    Pmf acc = null;
    for (SubsampledGaussian r : releases) {
      Pmf one = selfCompose(singleStep(r.q(), r.noiseMultiplier(), remove, grid), r.steps());
      acc = acc == null ? one : acc.convolve(one);
    }
    return acc;
  }

  private static Pmf selfCompose(Pmf base, long times) {
    Pmf result = null;
    Pmf power = base;
    long t = times;
    while (true) {
      if ((t & 1) == 1) {
        result = result == null ? power : result.convolve(power);
      }
      t >>= 1;
      if (t == 0) {
        return result;
      }
      power = power.convolve(power);
    }
  }

  /**
   * Pessimistic one-step PMF. Remove: X ~ (1−q)N(0,z²) + qN(1,z²), L(x) = log(1 − q + q·e^{(2x−1)/(2z²)})
   * increasing. Add: X ~ N(0, z²), L(x) = −(the same), decreasing.
   */
  static Pmf singleStep(double q, double z, boolean remove, double h) {
    double xLo = -TAIL_SIGMAS * z;
    double xHi = 1 + TAIL_SIGMAS * z;
    if (remove) {
      // Grid index range: the first bin takes everything with L ≤ l_lo; beyond l_hi goes to +∞.
      long iLo = (long) Math.ceil(lossRemove(q, z, xLo) / h);
      long iHi = (long) Math.ceil(lossRemove(q, z, xHi) / h);
      int n = Math.toIntExact(iHi - iLo + 1);
      double[] p = new double[n];
      // F(x) = P(X ≤ x) under the mixture; use upper tails where they are the accurate side.
      double prevUpper = 1.0; // P(X > x_{iLo-1}) with x_{iLo-1} = −∞
      for (int k = 0; k < n; k++) {
        double x = inverseLossRemove(q, z, (iLo + k) * h);
        double upper = mixtureUpper(q, z, x);
        p[k] = Math.max(0, prevUpper - upper);
        prevUpper = upper;
      }
      return new Pmf(iLo, p, prevUpper, h).trimmed();
    }
    // Add direction: L(x) = −lossRemove(x), decreasing in x; X ~ N(0, z²).
    long iLo = (long) Math.ceil(-lossRemove(q, z, xHi) / h);
    long iHi = (long) Math.ceil(-lossRemove(q, z, xLo) / h);
    int n = Math.toIntExact(iHi - iLo + 1);
    double[] p = new double[n];
    // Bin i takes x ∈ [x(l_i), x(l_{i−1})) where x(l) = inverseLossRemove(−l) (x(l) = −∞ beyond sup L).
    double prevUpper = 0; // P(X ≥ x(l_{iLo−1})) with x(l_{iLo−1}) = +∞ (bin iLo takes the whole right tail)
    for (int k = 0; k < n; k++) {
      double l = (iLo + k) * h;
      double x = inverseLossRemove(q, z, -l);
      double upper = Double.isNaN(x) ? 1.0 : normalUpper(x / z);
      p[k] = Math.max(0, upper - prevUpper);
      prevUpper = upper;
    }
    return new Pmf(iLo, p, Math.max(0, 1 - prevUpper), h).trimmed();
  }

  /** log(1 − q + q·e^{(2x−1)/(2z²)}), stable for both signs of the exponent. */
  static double lossRemove(double q, double z, double x) {
    double t = (2 * x - 1) / (2 * z * z);
    if (q == 1) {
      return t;
    }
    // log((1−q) + q e^t) = logaddexp(log(1−q), log q + t)
    double a = Math.log1p(-q);
    double b = Math.log(q) + t;
    double m = Math.max(a, b);
    return m + Math.log1p(Math.exp(Math.min(a, b) - m));
  }

  /** x with lossRemove(x) = l; NaN when l ≤ log(1 − q) (no such x: the loss never gets that low). */
  static double inverseLossRemove(double q, double z, double l) {
    double t;
    if (q == 1) {
      t = l;
    } else {
      // e^l = 1 − q + q e^t  ⇒  t = l + log(1 − (1−q)e^{−l}) − log q
      double r = (1 - q) * Math.exp(-l);
      if (!(r < 1)) {
        return Double.NaN;
      }
      t = l + Math.log1p(-r) - Math.log(q);
    }
    return z * z * t + 0.5;
  }

  private static double mixtureUpper(double q, double z, double x) {
    if (Double.isNaN(x)) {
      return 1.0;
    }
    return (1 - q) * normalUpper(x / z) + q * normalUpper((x - 1) / z);
  }

  /** P(Z > x) for a standard normal, accurate in both tails. */
  static double normalUpper(double x) {
    if (x == Double.POSITIVE_INFINITY) {
      return 0;
    }
    if (x == Double.NEGATIVE_INFINITY) {
      return 1;
    }
    return Math.exp(GaussianAccountant.logPhi(-x));
  }

  /** A PMF on the grid {(offset + k)·h} plus a mass at +∞. */
  static final class Pmf {
    final long offset;
    final double[] p;
    final double infinityMass;
    final double h;

    Pmf(long offset, double[] p, double infinityMass, double h) {
      this.offset = offset;
      this.p = p;
      this.infinityMass = Math.min(1, Math.max(0, infinityMass));
      this.h = h;
    }

    /** Pessimistic truncation: ≤ TAIL_MASS from the top goes to +∞, ≤ TAIL_MASS from the bottom moves up. */
    Pmf trimmed() {
      int lo = 0;
      double low = 0;
      while (lo < p.length - 1 && low + p[lo] <= TAIL_MASS) {
        low += p[lo++];
      }
      int hi = p.length - 1;
      double high = 0;
      while (hi > lo && high + p[hi] <= TAIL_MASS) {
        high += p[hi--];
      }
      if (lo == 0 && hi == p.length - 1) {
        return this;
      }
      double[] q = java.util.Arrays.copyOfRange(p, lo, hi + 1);
      q[0] += low;
      return new Pmf(offset + lo, q, infinityMass + high, h);
    }

    Pmf convolve(Pmf other) {
      double[] c = Fft.convolve(p, other.p);
      for (int i = 0; i < c.length; i++) {
        if (c[i] < 0) {
          c[i] = 0; // round-off
        }
      }
      double inf = 1 - (1 - infinityMass) * (1 - other.infinityMass);
      return new Pmf(offset + other.offset, c, inf, h).trimmed();
    }

    /** δ(ε) = P(∞) + Σ p_i·(1 − e^{ε − l_i})₊. */
    double delta(double epsilon) {
      double d = 0;
      for (int k = p.length - 1; k >= 0; k--) {
        double l = (offset + k) * h;
        if (l <= epsilon) {
          break;
        }
        d += p[k] * -Math.expm1(epsilon - l);
      }
      return Math.min(1, infinityMass + d);
    }

    /**
     * Smallest ε ≥ 0 with δ(ε) ≤ target. On [l_{j−1}, l_j) δ(ε) = A_j − e^ε·B_j with suffix sums
     * A_j = P(∞) + Σ_{i≥j} p_i and B_j = Σ_{i≥j} p_i e^{−l_i}, so one scan from the top solves it.
     */
    double epsilon(double target) {
      if (infinityMass > target) {
        return Double.POSITIVE_INFINITY;
      }
      double a = infinityMass;
      double b = 0;
      for (int k = p.length - 1; k >= 0; k--) {
        double l = (offset + k) * h;
        double lower = k == 0 ? Double.NEGATIVE_INFINITY : (offset + k - 1) * h;
        a += p[k];
        b += p[k] * Math.exp(-l);
        // For ε in [max(lower, 0), l): δ(ε) = a − e^ε b, decreasing; solve a − e^ε b = target.
        double lo = Math.max(0, lower);
        if (lo >= l) {
          return 0; // l ≤ 0 and δ(0) ≤ target was found one step up
        }
        if (a - Math.exp(lo) * b > target) {
          double eps = Math.log((a - target) / b);
          // Round up by a hair so the returned ε is safe against round-off in the closed form.
          return Math.min(l, Math.max(lo, eps) * (1 + 1e-12) + 1e-15);
        }
      }
      return 0;
    }
  }

  /** Linear convolution by an iterative radix-2 complex FFT (direct sum for short inputs). */
  static final class Fft {
    private Fft() {}

    static double[] convolve(double[] a, double[] b) {
      int n = a.length + b.length - 1;
      if ((long) a.length * b.length <= 1L << 16) {
        double[] c = new double[n];
        for (int i = 0; i < a.length; i++) {
          if (a[i] == 0) {
            continue;
          }
          for (int j = 0; j < b.length; j++) {
            c[i + j] += a[i] * b[j];
          }
        }
        return c;
      }
      int size = Integer.highestOneBit(n - 1) << 1;
      double[] re1 = new double[size];
      double[] im1 = new double[size];
      double[] re2 = new double[size];
      double[] im2 = new double[size];
      System.arraycopy(a, 0, re1, 0, a.length);
      System.arraycopy(b, 0, re2, 0, b.length);
      transform(re1, im1, false);
      transform(re2, im2, false);
      for (int i = 0; i < size; i++) {
        double r = re1[i] * re2[i] - im1[i] * im2[i];
        double m = re1[i] * im2[i] + im1[i] * re2[i];
        re1[i] = r;
        im1[i] = m;
      }
      transform(re1, im1, true);
      double[] c = new double[n];
      for (int i = 0; i < n; i++) {
        c[i] = re1[i] / size;
      }
      return c;
    }

    /** In-place FFT (inverse without the 1/n factor). */
    static void transform(double[] re, double[] im, boolean inverse) {
      int n = re.length;
      for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; (j & bit) != 0; bit >>= 1) {
          j ^= bit;
        }
        j ^= bit;
        if (i < j) {
          double t = re[i];
          re[i] = re[j];
          re[j] = t;
          t = im[i];
          im[i] = im[j];
          im[j] = t;
        }
      }
      for (int len = 2; len <= n; len <<= 1) {
        double ang = 2 * Math.PI / len * (inverse ? 1 : -1);
        int half = len >> 1;
        // Twiddles computed directly (not by repeated multiplication) to keep round-off at ~1e-16.
        double[] wr = new double[half];
        double[] wi = new double[half];
        for (int k = 0; k < half; k++) {
          wr[k] = Math.cos(ang * k);
          wi[k] = Math.sin(ang * k);
        }
        for (int i = 0; i < n; i += len) {
          for (int k = 0; k < half; k++) {
            int u = i + k;
            int v = u + half;
            double xr = re[v] * wr[k] - im[v] * wi[k];
            double xi = re[v] * wi[k] + im[v] * wr[k];
            re[v] = re[u] - xr;
            im[v] = im[u] - xi;
            re[u] += xr;
            im[u] += xi;
          }
        }
      }
    }
  }
}
