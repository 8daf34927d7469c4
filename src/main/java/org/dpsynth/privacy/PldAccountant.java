package org.dpsynth.privacy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.DoubleUnaryOperator;

/**
 * Privacy-loss-distribution (PLD) accountant for compositions of Poisson-subsampled Gaussian
 * mechanisms under add-or-remove-one adjacency, tight on long compositions and a rigorous upper
 * bound on the true ε (so it can charge a privacy budget).
 *
 * <p><b>Mechanism.</b> One step samples every user with probability q and adds N(0, z²) to a query
 * of L2 sensitivity 1. The worst-case pair is one-dimensional: P = (1−q)·N(0, z²) + q·N(1, z²)
 * against Q = N(0, z²) when a user is removed, and the swapped pair when one is added; the reported
 * ε is the larger of the two directions (as dp_accounting and the PRV accountant do). Plain
 * Gaussian releases are q = 1 and are first merged exactly into one Gaussian (1/z² adds up).
 *
 * <p><b>Discretisation: "connect the dots"</b> (Doroshenko, Ghazi, Kamath, Kumar, Manurangsi 2022,
 * "Connect the Dots: Tighter Discrete Approximations of Privacy Loss Distributions"). On
 * the grid l_j = j·h the P-mass of every bucket (l_j, l_{j+1}] is split between its two ends so
 * that the bucket's P-mass and Q-mass (= E_P[e^{−L}]) are both kept: the upper end gets
 * b_j = (P_j − e^{l_j}Q_j)/(1 − e^{−h}), the lower end a_j = (e^{l_{j+1}}Q_j − P_j)/(e^h − 1). The
 * hockey-stick curve δ(ε) of the result equals the true one at every grid point and is its chord in
 * e^ε between them; δ is convex in e^ε, so the discrete pair dominates the true one for every real
 * ε, and dominance survives composition (Blackwell's theorem; the tensor product of trade-off
 * functions is monotone: Dong, Roth, Su 2022, "Gaussian Differential Privacy"). Unlike
 * rounding every loss up (Meiser and Mohammadi 2018; Koskela, Jälkö, Honkela 2020), which shifts
 * the composed loss by up to T·h, this only spreads each bucket over its width h: per step the
 * mean moves up by at most about h²/8 and the variance by at most h²/4. The grid is therefore chosen from the per-step loss spread
 * s (root mean square over the composition) as h = {@value #GRID_PER_SPREAD}·s, so the relative
 * variance error is ≤ 1e-4 however many steps there are, and finer for short compositions where
 * that is cheap ({@link #grid}). An explicit grid may be given instead.
 *
 * <p><b>Every approximation errs on the safe side.</b> (i) Mass above the top grid
 * point (≥ 9 standard deviations out, chosen so T·mass ≤ 1e-18) goes to +∞; mass below the bottom
 * grid point moves up onto it (raising losses only raises δ). (ii) The bucket shares are integrals
 * of positive functions (∫φ₀·(e^t − c) and ∫φ₀·(c − e^t), e^t the likelihood ratio), computed in
 * closed form where that cannot cancel and by Gauss–Legendre quadrature where it could, then
 * inflated by 1e-10 relative: the composed δ is a polynomial with non-negative coefficients in the
 * masses, so larger masses only raise it. (iii) All groups are composed at once by one FFT of
 * length N, a pointwise power per group and one inverse FFT (Koskela et al.). The wrap-around of a
 * length-N circular convolution is bounded by Chernoff bounds from the discrete masses themselves:
 * P(ΣL ≥ s) ≤ Π_i M_i(λ)^{T_i}·e^{−λs} with M_i(λ) = Σ_j ω_ij e^{λ l_j}, and the window is chosen
 * so both tails are ≤ {@value #WINDOW_TAIL}; both are added to δ. (iv) FFT round-off is bounded a
 * priori and added to δ: a radix-2 FFT with twiddles accurate to 5e-16 has per-output error ≤
 * ((1+η)^{log₂N} − 1)·‖x‖₁ with η = 1e-15 (the butterfly bound of Higham, "Accuracy and Stability
 * of Numerical Algorithms", §24.1, summed over the butterfly tree); the power map propagates it by
 * T·|A|^{T−1}, the inverse transform maps an ℓ₂ error in the spectrum to at most the same ℓ₁ error
 * in the masses. For DP-SGD on MNIST this bound is 7e-10, far below δ = 1e-5; it is what limits
 * the accountant at very small δ (for 10⁴ steps it visibly raises ε at δ = 1e-9 and makes it +∞
 * at 1e-10; {@link SubsampledGaussianAccountant} then falls back to RDP). The returned ε is the
 * smallest ε ≥ 0 with (discrete δ(ε))·(1 + rounding slack) + (tails + FFT bound) ≤ δ.
 *
 * <p>With q = 1 the result is the Gaussian mechanism, whose exact curve is {@link
 * GaussianAccountant} (μ = √T/z).
 */
public final class PldAccountant {

  /** Grid interval as a fraction of the per-step loss spread (relative variance error ≤ 1e-4). */
  static final double GRID_PER_SPREAD = 0.02;

  /** Upper bound on each tail of the composed loss that falls outside the FFT window. */
  static final double WINDOW_TAIL = 1e-15;

  /** Relative inflation of every computed mass (covers quadrature and special-function error). */
  static final double MASS_SLACK = 1e-10;

  /** Largest FFT length and largest one-step grid; beyond them the grid is coarsened. */
  static final int MAX_FFT = 1 << 22;

  static final int MAX_STEP_GRID = 1 << 21;

  private static final double UNIT_ROUNDOFF = 0x1p-53;

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

  /** ε at {@code delta} of T steps of one subsampled Gaussian. */
  public static double epsilon(double q, double noiseMultiplier, long steps, double delta) {
    return epsilon(List.of(new SubsampledGaussian(q, noiseMultiplier, steps)), delta);
  }

  /** δ at {@code epsilon} of T steps of one subsampled Gaussian. */
  public static double delta(double q, double noiseMultiplier, long steps, double epsilon) {
    return delta(List.of(new SubsampledGaussian(q, noiseMultiplier, steps)), epsilon);
  }

  /** ε at {@code delta} of the composition of all given releases (0 for none), grid {@link #grid}. */
  public static double epsilon(List<SubsampledGaussian> releases, double delta) {
    return epsilon(releases, delta, 0);
  }

  /**
   * ε at {@code delta} with an explicit loss grid interval (0: {@link #grid}). A grid so fine that
   * the FFT would exceed {@value #MAX_FFT} points is coarsened.
   */
  public static double epsilon(List<SubsampledGaussian> releases, double delta, double grid) {
    GaussianAccountant.requireDelta(delta);
    List<SubsampledGaussian> groups = merge(releases);
    if (groups.isEmpty()) {
      return 0;
    }
    double eps = 0;
    for (Composition c : compose(groups, grid)) {
      eps = Math.max(eps, c.epsilon(delta));
    }
    return eps;
  }

  /** δ at {@code epsilon} of the composition of all given releases (0 for none), grid {@link #grid}. */
  public static double delta(List<SubsampledGaussian> releases, double epsilon) {
    return delta(releases, epsilon, 0);
  }

  /** δ at {@code epsilon} with an explicit loss grid interval (0: {@link #grid}). */
  public static double delta(List<SubsampledGaussian> releases, double epsilon, double grid) {
    if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be finite and >= 0, got " + epsilon);
    }
    List<SubsampledGaussian> groups = merge(releases);
    if (groups.isEmpty()) {
      return 0;
    }
    double d = 0;
    for (Composition c : compose(groups, grid)) {
      d = Math.max(d, c.delta(epsilon));
    }
    return d;
  }

  /**
   * The loss grid interval used by default: {@value #GRID_PER_SPREAD} times the root mean square
   * over all steps of the one-step loss spread, where the spread of a step is estimated by
   * √log(1 + q²(e^{1/z²} − 1)) (from the χ²-divergence of the step; exact 1/z for q = 1); finer
   * for short compositions, so that ±10 spreads of the composed loss span 2^14 grid points, as long
   * as one step's loss range stays within 2^18 grid points.
   */
  public static double grid(List<SubsampledGaussian> releases) {
    List<SubsampledGaussian> groups = merge(releases);
    if (groups.isEmpty()) {
      throw new IllegalArgumentException("no releases");
    }
    double steps = 0;
    double variance = 0;
    double range = 0;
    for (SubsampledGaussian g : groups) {
      steps += g.steps();
      variance += g.steps() * lossVariance(g.q(), g.noiseMultiplier());
    }
    double s = tailSigmas(1e-18 / steps);
    for (SubsampledGaussian g : groups) {
      Likelihood lr = new Likelihood(g.q(), g.noiseMultiplier());
      range = Math.max(range, lr.lossRemove(1 + s * g.noiseMultiplier()) - lr.lossRemove(-s * g.noiseMultiplier()));
    }
    double spread = Math.sqrt(variance / steps);
    // With few steps the composed loss (spread·√T) covers few grid points at GRID_PER_SPREAD·spread;
    // a grid that puts ±10 composed spreads on 2^14 points costs little there and is more exact.
    double h = Math.min(GRID_PER_SPREAD * spread, 20 * Math.sqrt(variance) / (1 << 14));
    // But one step's loss range (long right tails at small q) on at most 2^18 points, for speed.
    return Math.max(h, Math.min(GRID_PER_SPREAD * spread, range / (1 << 18)));
  }

  /**
   * The smallest noise multiplier z (relative precision 1e-4, on the safe side: ε(z) ≤ target)
   * for {@code steps} steps at rate q. The bracket comes from RDP (an upper bound: any z whose RDP
   * ε meets the target is safe); inside it, the Illinois variant of regula falsi on log z keeps a
   * bracket [lo, hi] with ε(lo) > target ≥ ε(hi) and returns hi.
   */
  public static double calibrateNoiseMultiplier(double q, double epsilon, double delta, long steps) {
    if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be a finite number > 0, got " + epsilon);
    }
    GaussianAccountant.requireDelta(delta);
    double hi = 0.25;
    while (RdpAccountant.epsilon(q, hi, steps, delta) > epsilon) {
      hi *= 2;
      if (hi > 1e6) {
        throw new IllegalArgumentException("no noise multiplier up to 1e6 reaches epsilon " + epsilon);
      }
    }
    double fHi = epsilon(q, hi, steps, delta) - epsilon;
    for (int widen = 0; fHi > 0; widen++) {
      if (widen == 40) {
        throw new IllegalArgumentException("no noise multiplier reaches epsilon " + epsilon
            + " at delta " + delta + " with the PLD accountant (delta below its round-off bound?)");
      }
      hi *= 1.25;
      fHi = epsilon(q, hi, steps, delta) - epsilon;
    }
    double lo = hi / 2;
    double fLo = epsilon(q, lo, steps, delta) - epsilon;
    while (fLo <= 0) {
      hi = lo;
      fHi = fLo;
      lo /= 2;
      if (lo < 1e-6) {
        throw new IllegalArgumentException("epsilon " + epsilon + " is met by any noise multiplier >= 1e-6");
      }
      fLo = epsilon(q, lo, steps, delta) - epsilon;
    }
    int side = 0;
    double slackAtHi = -fHi; // target − ε(hi) ≥ 0 (fHi itself may be halved by Illinois)
    while (hi / lo > 1 + 1e-4 && slackAtHi > 1e-5 * epsilon) {
      double a = Math.log(lo);
      double b = Math.log(hi);
      double x = Double.isInfinite(fLo) ? (a + b) / 2 : b - fHi * (b - a) / (fHi - fLo);
      // Stay strictly inside the bracket, at least 1/32 of its width from either end.
      x = Math.max(a + (b - a) / 32, Math.min(b - (b - a) / 32, x));
      double mid = Math.exp(x);
      double f = epsilon(q, mid, steps, delta) - epsilon;
      if (f > 0) {
        lo = mid;
        fLo = f;
        if (side == -1) {
          fHi /= 2;
        }
        side = -1;
      } else {
        hi = mid;
        fHi = f;
        slackAtHi = -f;
        if (side == 1) {
          fLo /= 2;
        }
        side = 1;
      }
    }
    return hi;
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Equal (q, z) are one group with the summed steps; all q = 1 releases are one Gaussian with
   * 1/z² = Σ steps/z_i² (exact: Gaussian mechanisms compose to a Gaussian).
   */
  static List<SubsampledGaussian> merge(List<SubsampledGaussian> releases) {
    Objects.requireNonNull(releases, "releases");
    Map<List<Double>, Long> steps = new LinkedHashMap<>();
    double gaussianPrecision = 0;
    for (SubsampledGaussian r : releases) {
      if (r.q() == 1.0) {
        gaussianPrecision += r.steps() / (r.noiseMultiplier() * r.noiseMultiplier());
      } else {
        steps.merge(List.of(r.q(), r.noiseMultiplier()), r.steps(), Math::addExact);
      }
    }
    List<SubsampledGaussian> out = new ArrayList<>();
    steps.forEach((k, t) -> out.add(new SubsampledGaussian(k.get(0), k.get(1), t)));
    if (gaussianPrecision > 0) {
      out.add(new SubsampledGaussian(1.0, 1 / Math.sqrt(gaussianPrecision), 1));
    }
    return out;
  }

  /** Spread estimate of one step's loss: log(1 + χ²) with χ² = q²(e^{1/z²} − 1). */
  static double lossVariance(double q, double z) {
    double inv = 1 / (z * z);
    if (inv > 600) {
      return Math.min(inv, 2 * Math.log(q) + inv);
    }
    return Math.min(inv, Math.log1p(q * q * Math.expm1(inv)));
  }

  /** One composition per direction (only one when every group is a plain Gaussian: symmetric). */
  private static List<Composition> compose(List<SubsampledGaussian> groups, double grid) {
    if (grid != 0 && !(grid > 0 && grid <= 1)) {
      throw new IllegalArgumentException("grid must be in (0, 1], got " + grid);
    }
    double h = grid == 0 ? grid(groups) : grid;
    boolean allGaussian = groups.stream().allMatch(g -> g.q() == 1.0);
    long totalSteps = groups.stream().mapToLong(SubsampledGaussian::steps).sum();
    // Per-step mass sent to +∞: its composed total is at most 1e-18.
    double tail = 1e-18 / totalSteps;
    List<Composition> out = new ArrayList<>();
    for (boolean remove : allGaussian ? new boolean[] {true} : new boolean[] {true, false}) {
      out.add(composeDirection(groups, remove, h, tail));
    }
    return out;
  }

  private static Composition composeDirection(
      List<SubsampledGaussian> groups, boolean remove, double h, double tail) {
    while (true) {
      List<StepPld> steps = new ArrayList<>();
      boolean tooFine = false;
      for (SubsampledGaussian g : groups) {
        StepPld s = StepPld.of(g.q(), g.noiseMultiplier(), remove, h, tail);
        if (s == null) {
          tooFine = true;
          break;
        }
        steps.add(s);
      }
      if (!tooFine) {
        long[] counts = groups.stream().mapToLong(SubsampledGaussian::steps).toArray();
        Composition c = Composition.of(steps, counts, h);
        if (c != null) {
          return c;
        }
      }
      h *= 2; // the grid would not fit: coarsen (still an upper bound, slightly looser)
    }
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Dominating discrete PLD of one step: masses {@code mass[k]} at loss (lo + k)·h, plus a mass at
   * +∞. Built by the connect-the-dots split of every bucket; see the class comment.
   */
  record StepPld(long lo, double[] mass, double infinity, double h) {

    /** null when the grid would exceed {@link #MAX_STEP_GRID} points. */
    static StepPld of(double q, double z, boolean removeDirection, double h, double tail) {
      // A plain Gaussian is symmetric: its add direction is its remove direction (and computing it
      // as such avoids e^l factors that overflow for very small z).
      boolean remove = removeDirection || q == 1;
      Likelihood lr = new Likelihood(q, z);
      double s = tailSigmas(tail);
      // Grid ends: the loss at s standard deviations beyond the relevant means.
      double lossAtLow = remove ? lr.lossRemove(-s * z) : -lr.lossRemove(s * z);
      double lossAtHigh = remove ? lr.lossRemove(1 + s * z) : -lr.lossRemove(-s * z);
      long jLo = (long) Math.floor(lossAtLow / h);
      long jHi = (long) Math.ceil(lossAtHigh / h);
      if (jHi <= jLo) {
        jHi = jLo + 1;
      }
      if (jHi - jLo + 1 > MAX_STEP_GRID) {
        return null;
      }
      int n = (int) (jHi - jLo + 1);
      double[] mass = new double[n];
      double up = 1 / -Math.expm1(-h); // 1/(1 − e^{−h})
      double down = 1 / Math.expm1(h); // 1/(e^h − 1)
      double infinity;
      if (remove) {
        // Mass with L ≤ l_lo moves up onto l_lo; mass with L > l_hi goes to +∞.
        mass[0] = lr.removeMassBelow(lr.xOfLoss(jLo * h));
        infinity = lr.removeMassAbove(lr.xOfLoss(jHi * h));
      } else {
        // L_add(x) = −L_remove(x) is decreasing in x: L_add ≤ l ⇔ x ≥ x(−l).
        mass[0] = GaussianTail.upper(lr.xOfLoss(-jLo * h) / z);
        double x = lr.xOfLoss(-jHi * h);
        infinity = x == Double.NEGATIVE_INFINITY ? 0 : GaussianTail.lower(x / z);
      }
      for (int k = 0; k < n - 1; k++) {
        double lLow = (jLo + k) * h;
        double lHigh = (jLo + k + 1) * h;
        double upper;
        double lower;
        if (remove) {
          double xL = lr.xOfLoss(lLow);
          double xR = lr.xOfLoss(lHigh);
          upper = q * up * lr.integralUp(xL, xR, lr.ratioAtLoss(lLow));
          lower = q * down * lr.integralDown(xL, xR, lr.ratioAtLoss(lHigh));
        } else {
          double xL = lr.xOfLoss(-lHigh);
          double xR = lr.xOfLoss(-lLow);
          upper = q * Math.exp(lLow) * up * lr.integralDown(xL, xR, lr.ratioAtLoss(-lLow));
          lower = q * Math.exp(lHigh) * down * lr.integralUp(xL, xR, lr.ratioAtLoss(-lHigh));
        }
        mass[k] += lower;
        mass[k + 1] += upper;
      }
      for (int k = 0; k < n; k++) {
        if (!Double.isFinite(mass[k])) {
          throw new IllegalStateException("PLD discretisation failed (non-finite mass) for q=" + q
              + ", noise multiplier " + z + ", grid " + h);
        }
        // Inflate (pessimistic) and keep a floor so underflowed masses are not lost.
        mass[k] = mass[k] * (1 + MASS_SLACK) + 1e-300;
      }
      return new StepPld(jLo, mass, Math.min(1, infinity * (1 + MASS_SLACK) + 1e-300), h);
    }

    /** Upper bound on log Σ_k mass_k e^{λ l_k} (finite part only), for λ ≠ 0. */
    double logMgf(double lambda) {
      int n = mass.length;
      // Anchor at the end where e^{λl} is largest so every factor is ≤ 1 (no overflow).
      double anchor = lambda > 0 ? (lo + n - 1) * h : lo * h;
      double r = Math.exp(-Math.abs(lambda) * h);
      double f = 1;
      double sum = 0;
      int k = 0;
      for (; k < n; k++) {
        int idx = lambda > 0 ? n - 1 - k : k;
        sum += mass[idx] * f;
        f *= r;
        if (f < 1e-300) {
          k++;
          break;
        }
      }
      double rest = 0;
      for (; k < n; k++) {
        rest += mass[lambda > 0 ? n - 1 - k : k];
      }
      // Each factor r^k carries ≤ 2k roundings; the remaining terms are each ≤ mass·1e-300.
      sum = sum * (1 + 4.0 * n * UNIT_ROUNDOFF) + rest * 1e-300;
      return lambda * anchor + Math.log(sum);
    }

    double l1() {
      double s = 0;
      for (double m : mass) {
        s += m;
      }
      return s * (1 + mass.length * UNIT_ROUNDOFF);
    }
  }

  /**
   * The likelihood ratio of one step, e^{t(x)} with t(x) = (2x − 1)/(2z²) (N(1, z²) over N(0, z²)),
   * and the remove-direction loss L(x) = log(1 − q + q·e^{t(x)}).
   */
  static final class Likelihood {
    final double q;
    final double z;
    final double z2;
    private final double log1mq;

    Likelihood(double q, double z) {
      this.q = q;
      this.z = z;
      this.z2 = z * z;
      this.log1mq = Math.log1p(-q);
    }

    /** log(1 − q + q e^{t(x)}), stable for both signs of t. */
    double lossRemove(double x) {
      double t = (2 * x - 1) / (2 * z2);
      if (q == 1) {
        return t;
      }
      double b = Math.log(q) + t;
      double m = Math.max(log1mq, b);
      return m + Math.log1p(Math.exp(Math.min(log1mq, b) - m));
    }

    /**
     * c(l) = e^{t} at remove-loss l, i.e. (e^l − 1 + q)/q; may be ≤ 0 (then no x has this loss and
     * the formulas below use x = −∞ with this c).
     */
    double ratioAtLoss(double l) {
      // (e^l − 1 + q)/q = e^l·(1 − (1−q)e^{−l})/q, with 1 − (1−q)e^{−l} = −expm1(log(1−q) − l).
      return Math.exp(l) * -Math.expm1(log1mq - l) / q;
    }

    /** x with lossRemove(x) = l, or −∞ when l ≤ log(1 − q) (the loss never gets that low). */
    double xOfLoss(double l) {
      double ratioFactor = -Math.expm1(log1mq - l); // 1 − (1−q)e^{−l}
      if (!(ratioFactor > 0)) {
        return Double.NEGATIVE_INFINITY;
      }
      double t = l + Math.log(ratioFactor) - Math.log(q);
      return z2 * t + 0.5;
    }

    /** P(X ≤ x) under the remove-direction P = (1−q)N(0,z²) + qN(1,z²). */
    double removeMassBelow(double x) {
      if (x == Double.NEGATIVE_INFINITY) {
        return 0;
      }
      return (1 - q) * GaussianTail.lower(x / z) + q * GaussianTail.lower((x - 1) / z);
    }

    /** P(X > x) under the remove-direction P. */
    double removeMassAbove(double x) {
      return (1 - q) * GaussianTail.upper(x / z) + q * GaussianTail.upper((x - 1) / z);
    }

    /**
     * ∫_{xL}^{xR} φ₀(x)(e^{t(x)} − cL) dx ≥ 0 where φ₀ is the N(0, z²) density and cL = e^{t(xL)}
     * (cL ≤ 0 allowed when xL = −∞).
     */
    double integralUp(double xL, double xR, double cL) {
      if (xL == Double.NEGATIVE_INFINITY) {
        // Both terms ≥ 0 (cL ≤ 0 or the left end is −∞): no cancellation... unless cL > 0.
        return Math.max(0, GaussianTail.between((xL - 1) / z, (xR - 1) / z)
            - cL * GaussianTail.between(xL / z, xR / z));
      }
      // φ₀(x)e^{t(x)} = φ₁(x), the N(1, z²) density; with x = xL + u the integrand is
      // φ₁(xL)·exp(−((xL − 1)u + u²/2)/z²)·(1 − e^{−u/z²}).
      return quadratureOrClosed(xL - 1, xR - xL, xL, true, cL);
    }

    /** ∫_{xL}^{xR} φ₀(x)(cR − e^{t(x)}) dx ≥ 0 where cR = e^{t(xR)}. */
    double integralDown(double xL, double xR, double cR) {
      if (xL == Double.NEGATIVE_INFINITY) {
        return Math.max(0, cR * GaussianTail.between(xL / z, xR / z)
            - GaussianTail.between((xL - 1) / z, (xR - 1) / z));
      }
      // With x = xR − u: φ₀(xR)·cR = φ₁(xR), integrand φ₁(xR)·exp((xR·u − u²/2)/z²)·(1 − e^{−u/z²}).
      return quadratureOrClosed(-xR, xR - xL, xR, false, cR);
    }

    /**
     * φ₁(anchor)·∫_0^W exp(−(αu + u²/2)/z²)(1 − e^{−u/z²}) du, by composite 10-point Gauss–Legendre
     * when the exponent varies by ≤ 1 per panel; the closed form (differences of normal CDFs) is
     * used only for very wide buckets, where its two terms differ by a large factor.
     */
    private double quadratureOrClosed(double alpha, double w, double anchor, boolean up, double c) {
      if (!(w > 0)) {
        return 0;
      }
      double variation = (Math.abs(alpha) * w + w * w / 2 + w) / z2;
      if (variation > 256 || !Double.isFinite(variation)) {
        double xL = up ? anchor : anchor - w;
        double xR = up ? anchor + w : anchor;
        double p1 = GaussianTail.between((xL - 1) / z, (xR - 1) / z);
        double p0 = GaussianTail.between(xL / z, xR / z);
        return Math.max(0, up ? p1 - c * p0 : c * p0 - p1);
      }
      int panels = Math.max(1, (int) Math.ceil(variation));
      double pw = w / panels;
      double sum = 0;
      for (int p = 0; p < panels; p++) {
        double a = p * pw;
        for (int i = 0; i < GaussLegendre.NODES.length; i++) {
          double u = a + pw * (1 + GaussLegendre.NODES[i]) / 2;
          double f = Math.exp(-(alpha * u + u * u / 2) / z2) * -Math.expm1(-u / z2);
          sum += GaussLegendre.WEIGHTS[i] * f;
        }
      }
      double d = (anchor - 1) / z;
      double phi1 = Math.exp(-0.5 * d * d) / (z * Math.sqrt(2 * Math.PI));
      return phi1 * sum * pw / 2;
    }
  }

  /** Normal tail probabilities, accurate relative to the tail (via {@link GaussianAccountant}). */
  static final class GaussianTail {
    private GaussianTail() {}

    /** P(Z ≤ x). */
    static double lower(double x) {
      if (x == Double.NEGATIVE_INFINITY) {
        return 0;
      }
      if (x == Double.POSITIVE_INFINITY) {
        return 1;
      }
      return Math.exp(GaussianAccountant.logPhi(x));
    }

    /** P(Z > x). */
    static double upper(double x) {
      return lower(-x);
    }

    /** P(a < Z ≤ b), using the tail on the side where both ends lie (no cancellation of ½). */
    static double between(double a, double b) {
      if (!(b > a)) {
        return 0;
      }
      if (b <= 0) {
        return Math.max(0, lower(b) - lower(a));
      }
      if (a >= 0) {
        return Math.max(0, upper(a) - upper(b));
      }
      return Math.max(0, 1 - lower(a) - upper(b));
    }
  }

  /** 10-point Gauss–Legendre rule on [−1, 1] (nodes from Newton's method on P₁₀). */
  static final class GaussLegendre {
    static final double[] NODES = new double[10];
    static final double[] WEIGHTS = new double[10];

    static {
      int n = NODES.length;
      for (int i = 0; i < n; i++) {
        double x = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
        double dp = 0;
        for (int iter = 0; iter < 100; iter++) {
          double p0 = 1;
          double p1 = x;
          for (int k = 2; k <= n; k++) {
            double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
            p0 = p1;
            p1 = p2;
          }
          dp = n * (x * p1 - p0) / (x * x - 1);
          double dx = p1 / dp;
          x -= dx;
          if (Math.abs(dx) < 1e-16) {
            break;
          }
        }
        NODES[i] = x;
        WEIGHTS[i] = 2 / ((1 - x * x) * dp * dp);
      }
    }

    private GaussLegendre() {}
  }

  /** Number of standard deviations s with P(Z > s) ≤ tail. */
  static double tailSigmas(double tail) {
    double s = 1;
    while (GaussianTail.upper(s) > tail) {
      s += 0.05;
    }
    return s;
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * The composed PLD on a window of grid points, with the additive (tails, FFT) and relative
   * (summation) error bounds that turn its δ(ε) into an upper bound.
   */
  record Composition(long lo, double[] mass, double h, double infinity, double additive) {

    /** null when the window needs more than {@link #MAX_FFT} points at this grid. */
    static Composition of(List<StepPld> steps, long[] counts, double h) {
      // Support of the composition and the window from Chernoff bounds on both tails.
      long supportLo = 0;
      long supportHi = 0;
      for (int i = 0; i < steps.size(); i++) {
        supportLo = Math.addExact(supportLo, Math.multiplyExact(counts[i], steps.get(i).lo()));
        supportHi = Math.addExact(supportHi,
            Math.multiplyExact(counts[i], steps.get(i).lo() + steps.get(i).mass().length - 1));
      }
      double logTail = Math.log(WINDOW_TAIL);
      double hiLoss = chernoff(steps, counts, logTail, true);
      double loLoss = chernoff(steps, counts, logTail, false);
      // One grid point of margin on each side covers round-off in the computed bound s.
      long wHi = supportHi;
      double tailHi = 0;
      if (hiLoss / h + 1 < supportHi) {
        wHi = (long) Math.ceil(hiLoss / h) + 1;
        tailHi = WINDOW_TAIL;
      }
      long wLo = supportLo;
      double tailLo = 0;
      if (loLoss / h - 1 > supportLo) {
        wLo = (long) Math.floor(loLoss / h) - 1;
        tailLo = WINDOW_TAIL;
      }
      long width = wHi - wLo + 1;
      if (width > MAX_FFT) {
        return null;
      }
      int n = Math.max(2, Integer.highestOneBit((int) Math.max(1, width - 1)) << 1);
      wLo = wHi - n + 1; // a power-of-two window: widen downwards (only shrinks the tail)

      Fft fft = new Fft(n);
      double[] cre = new double[n];
      double[] cim = new double[n];
      Arrays.fill(cre, 1);
      double[] logBound = new double[n]; // Σ_i T_i log(|Â_i| + e_i)
      double[] relProp = new double[n]; // Σ_i T_i e_i / (|Â_i| + e_i)
      double[] relPow = new double[n]; // relative rounding of the computed powers
      double[] are = new double[n];
      double[] aim = new double[n];
      double logInfKeep = 0; // log Π (1 − ω_∞,i)^{T_i}
      long base = 0;
      for (int i = 0; i < steps.size(); i++) {
        StepPld s = steps.get(i);
        long t = counts[i];
        Arrays.fill(are, 0);
        Arrays.fill(aim, 0);
        double[] m = s.mass();
        for (int k = 0; k < m.length; k++) {
          are[k % n] += m[k];
        }
        base += t * s.lo();
        double e = fft.errorFactor() * s.l1();
        fft.transform(are, aim, false);
        for (int k = 0; k < n; k++) {
          double r = Math.hypot(are[k], aim[k]);
          double logR = Math.log(r);
          double mag = r == 0 ? 0 : Math.exp(t * logR);
          double theta = Math.atan2(aim[k], are[k]);
          double ang = t * theta;
          double pr = mag * Math.cos(ang);
          double pi = mag * Math.sin(ang);
          double nr = cre[k] * pr - cim[k] * pi;
          cim[k] = cre[k] * pi + cim[k] * pr;
          cre[k] = nr;
          double b = r + e;
          logBound[k] += t * Math.log(b);
          relProp[k] += t * e / b;
          // hypot, log, ·T, exp: T·u·(2 + 3|log r|); atan2 (2 ulp), ·T: 5·T·u·|θ|; cos, sin, product.
          relPow[k] += t * UNIT_ROUNDOFF * (2 + 3 * Math.abs(r == 0 ? 0 : logR) + 5 * Math.abs(theta))
              + 10 * UNIT_ROUNDOFF;
        }
        logInfKeep += t * Math.log1p(-s.infinity());
      }
      // ‖ΔC‖₂ over the spectrum and ‖Ĉ‖₁ for the inverse transform's own rounding.
      double sq = 0;
      double c1 = 0;
      for (int k = 0; k < n; k++) {
        double mod = Math.hypot(cre[k], cim[k]);
        double err = Math.exp(logBound[k]) * relProp[k] + mod * relPow[k];
        sq += err * err;
        c1 += mod;
      }
      double fftError = (Math.sqrt(sq) + fft.errorFactor() * c1) * (1 + 1e-6);
      fft.transform(cre, cim, true);
      double[] mass = new double[n];
      // Slot s holds grid index base + s (mod n); window index k holds grid index wLo + k.
      int shift = (int) Math.floorMod(wLo - base, (long) n);
      for (int k = 0; k < n; k++) {
        double v = cre[(k + shift) & (n - 1)] / n;
        mass[k] = v > 0 ? v : 0;
      }
      double infinity = -Math.expm1(logInfKeep) * (1 + 1e-12);
      return new Composition(wLo, mass, h, Math.min(1, infinity), fftError + tailHi + tailLo);
    }

    /**
     * Loss s with P(ΣL ≥ s) ≤ e^{logTail} (upper) or P(ΣL ≤ s) ≤ e^{logTail} (lower), from the best
     * Chernoff bound over λ (coarse powers of two, then golden-section refinement in log λ).
     */
    private static double chernoff(List<StepPld> steps, long[] counts, double logTail, boolean upper) {
      DoubleUnaryOperator bound = logLambda -> {
        double lambda = Math.exp(logLambda);
        double sum = 0;
        for (int i = 0; i < steps.size(); i++) {
          sum += counts[i] * steps.get(i).logMgf(upper ? lambda : -lambda);
        }
        // upper: P(ΣL ≥ s) ≤ e^{sum − λs}; lower: P(ΣL ≤ −s) ≤ e^{sum − λs} (sum taken at −λ).
        double s = (sum - logTail) / lambda;
        return Double.isNaN(s) ? Double.POSITIVE_INFINITY : s;
      };
      double bestLog = 0;
      double best = Double.POSITIVE_INFINITY;
      for (int k = -14; k <= 36; k++) {
        double v = bound.applyAsDouble(k * Math.log(2));
        if (v < best) {
          best = v;
          bestLog = k * Math.log(2);
        }
      }
      double a = bestLog - Math.log(2);
      double b = bestLog + Math.log(2);
      double g = (Math.sqrt(5) - 1) / 2;
      double x1 = b - g * (b - a);
      double x2 = a + g * (b - a);
      double f1 = bound.applyAsDouble(x1);
      double f2 = bound.applyAsDouble(x2);
      for (int it = 0; it < 20; it++) {
        if (f1 < f2) {
          b = x2;
          x2 = x1;
          f2 = f1;
          x1 = b - g * (b - a);
          f1 = bound.applyAsDouble(x1);
        } else {
          a = x1;
          x1 = x2;
          f1 = f2;
          x2 = a + g * (b - a);
          f2 = bound.applyAsDouble(x2);
        }
      }
      best = Math.min(best, Math.min(f1, f2));
      return upper ? best : -best;
    }

    /** Relative slack for the floating-point sums over the window (positive terms). */
    private double sumSlack() {
      return 4.0 * (mass.length + 8) * UNIT_ROUNDOFF;
    }

    /** Upper bound on δ(ε). */
    double delta(double epsilon) {
      double d = 0;
      for (int k = mass.length - 1; k >= 0; k--) {
        double l = (lo + k) * h;
        if (l <= epsilon) {
          break;
        }
        d += mass[k] * -Math.expm1(epsilon - l);
      }
      return Math.min(1, (infinity + d) * (1 + sumSlack()) + additive);
    }

    /**
     * Smallest ε ≥ 0 whose δ upper bound is ≤ target (+∞ if none). Scanning grid points l_j from the
     * top, A_j = P(∞) + Σ_{k>j} m_k and B_j = Σ_{k>j} m_k e^{l_j − l_k} give δ(ε) = A_j − B_j e^{ε−l_j}
     * on [l_j, l_{j+1}]; every factor is ≤ 1, so nothing overflows however large ε is.
     */
    double epsilon(double target) {
      double slack = sumSlack();
      double budget = target - additive;
      if (!(budget > 0) || infinity * (1 + slack) > budget) {
        return Double.POSITIVE_INFINITY;
      }
      double decay = Math.exp(-h);
      double a = infinity;
      double b = 0;
      int top = mass.length - 1;
      for (int j = top; j >= 0; j--) {
        double l = (lo + j) * h;
        if (j < top) {
          a += mass[j + 1];
          b = (b + mass[j + 1]) * decay;
        }
        double at = delta(a, b, Math.max(l, 0) - l, slack); // δ(max(l_j, 0))
        if (at > budget) {
          return solve(a, b, l, Math.max(l, 0), l + h, budget, slack);
        }
        if (l <= 0) {
          return 0;
        }
      }
      // The window starts above 0 and δ(l_0) ≤ target; below l_0 all window mass is above ε.
      double l0 = lo * h;
      a += mass[0];
      b += mass[0];
      if (delta(a, b, -l0, slack) <= budget) {
        return 0;
      }
      return solve(a, b, l0, 0, l0, budget, slack);
    }

    /** A·(1+slack) − B·(1−slack)·e^{offset}: the δ upper bound at ε = anchor + offset (offset < h). */
    private static double delta(double a, double b, double offset, double slack) {
      return a * (1 + slack) - b * (1 - slack) * Math.exp(offset);
    }

    /** ε in [lower, upper] with A − B·e^{ε − anchor} = budget, rounded up. */
    private static double solve(
        double a, double b, double anchor, double lower, double upper, double budget, double slack) {
      double aUp = a * (1 + slack);
      double bDown = b * (1 - slack);
      double eps = bDown > 0 ? anchor + Math.log((aUp - budget) / bDown) : upper;
      eps = Math.max(lower, Math.min(upper, eps));
      // Round up by a hair so ε is safe against round-off in the closed form.
      return Math.min(upper, eps + 1e-12 * Math.max(1, Math.abs(eps)));
    }
  }

  /**
   * Iterative radix-2 complex FFT with a twiddle table accurate to 5e-16 (sines and cosines only of
   * angles ≤ π/4, the rest by exact symmetries), and the a-priori error factor of its outputs.
   */
  static final class Fft {
    private final int n;
    private final double[] cos;
    private final double[] sin;

    Fft(int n) {
      this.n = n;
      int half = Math.max(1, n / 2);
      cos = new double[half];
      sin = new double[half];
      int eighth = n / 8;
      // θ_j = 2πj/n; for j ≤ n/8 compute directly, else use sin/cos(π/2 ∓ θ) identities.
      for (int j = 0; j < half; j++) {
        if (n < 8 || j <= eighth) {
          double theta = Math.PI * (2.0 * j / n);
          cos[j] = Math.cos(theta);
          sin[j] = Math.sin(theta);
        }
      }
      if (n >= 8) {
        int quarter = n / 4;
        for (int j = eighth + 1; j <= quarter; j++) {
          cos[j] = sin[quarter - j];
          sin[j] = cos[quarter - j];
        }
        for (int j = quarter + 1; j < half; j++) {
          cos[j] = -sin[j - quarter];
          sin[j] = cos[j - quarter];
        }
      }
    }

    /**
     * e with |computed − exact| ≤ e·‖x‖₁ for every output: (1+η)^{log₂n} − 1, η = 1e-15 ≥ twiddle
     * error 5e-16 + √2γ₂ (complex product) + u (sum).
     */
    double errorFactor() {
      int stages = Integer.numberOfTrailingZeros(n);
      return Math.expm1(stages * Math.log1p(1e-15)) * (1 + 1e-9);
    }

    /** In-place transform (forward: e^{−2πijk/n}; inverse: e^{+2πijk/n}, no 1/n). */
    void transform(double[] re, double[] im, boolean inverse) {
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
      double sign = inverse ? 1 : -1;
      for (int len = 2; len <= n; len <<= 1) {
        int half = len >> 1;
        int stride = n / len;
        for (int i = 0; i < n; i += len) {
          for (int k = 0; k < half; k++) {
            double wr = cos[k * stride];
            double wi = sign * sin[k * stride];
            int u = i + k;
            int v = u + half;
            double xr = re[v] * wr - im[v] * wi;
            double xi = re[v] * wi + im[v] * wr;
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
