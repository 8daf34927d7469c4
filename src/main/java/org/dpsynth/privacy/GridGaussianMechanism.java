package org.dpsynth.privacy;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * The released-sum Gaussian mechanism on a power-of-two grid (Canonne, Kamath, Steinke 2020,
 * "The Discrete Gaussian for Differential Privacy"; Mironov 2012 for why not floating-point
 * noise).
 *
 * <p>Each user's vector v (dimension d) is clipped to L2 norm c' = {@link #clipBeforeRounding()}
 * = clip − (g/2)·√d and then rounded coordinate-wise to the grid g. Rounding moves each coordinate
 * by at most g/2, so ‖round(v) − v‖₂ ≤ (g/2)·√d and by the triangle inequality
 * ‖round(v)‖₂ ≤ c' + (g/2)·√d = clip. {@link #quantize(double[])} also checks this bound exactly
 * in integer arithmetic, so floating-point error in clipping cannot break it. The integer sum of
 * the users' grid vectors therefore has L2 sensitivity clip/g grid units (add/remove one user),
 * and {@link #release} adds an exact discrete Gaussian with stddev parameter σ/g grid units.
 *
 * <p>Accounting: each call of {@link #release} is charged as a Gaussian release with
 * noiseStddev σ and sensitivity clip ({@link GaussianAccountant.GaussianRelease}). The discrete
 * Gaussian satisfies exactly the same ρ = clip²/(2σ²) concentrated DP as the continuous one (CKS
 * 2020, Thm 14); its (ε, δ) curve differs from the continuous Gaussian's by an amount that
 * vanishes as σ/g grows, and here σ/g ≥ 2^15·√d·(σ/clip).
 */
public final class GridGaussianMechanism implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  /** Rounding may use at most this fraction of the clip norm: (g/2)·√d ≤ clip·2^-16. */
  public static final double ROUNDING_SHARE = 0x1p-16;

  private final double clip;
  private final int dimension;
  private final double grid;

  public GridGaussianMechanism(double clip, int dimension) {
    this.grid = gridFor(clip, dimension);
    this.clip = clip;
    this.dimension = dimension;
  }

  /** The largest power of two g with (g/2)·√dimension ≤ clip·2^-16. */
  public static double gridFor(double clip, int dimension) {
    GaussianAccountant.requirePositiveFinite("clip", clip);
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be >= 1, got " + dimension);
    }
    double budget = clip * ROUNDING_SHARE;
    double g = Math.scalb(1.0, Math.getExponent(2 * budget / Math.sqrt(dimension)) + 1);
    while (g / 2 * Math.sqrt(dimension) > budget) {
      g /= 2;
    }
    if (g < Double.MIN_NORMAL) {
      throw new IllegalArgumentException("clip " + clip + " is too small for a grid");
    }
    return g;
  }

  public double clip() {
    return clip;
  }

  public int dimension() {
    return dimension;
  }

  /** The grid spacing g, a power of two. */
  public double grid() {
    return grid;
  }

  /** clip − (g/2)·√dimension: clip each user's vector to this norm before {@link #quantize}. */
  public double clipBeforeRounding() {
    return clip - grid / 2 * Math.sqrt(dimension);
  }

  /** v·min(1, c/‖v‖₂); a new array. The norm is computed with scaling, so it cannot overflow. */
  public static double[] clipToNorm(double[] v, double c) {
    Objects.requireNonNull(v, "v");
    GaussianAccountant.requirePositiveFinite("c", c);
    double norm = norm(v);
    double[] out = v.clone();
    if (norm > c) {
      double scale = c / norm;
      for (int i = 0; i < out.length; i++) {
        out[i] *= scale;
      }
    }
    return out;
  }

  /** Euclidean norm, scaled by the largest magnitude so squares neither overflow nor underflow. */
  static double norm(double[] v) {
    double max = 0;
    for (double x : v) {
      if (!Double.isFinite(x)) {
        throw new IllegalArgumentException("vector has a non-finite coordinate");
      }
      max = Math.max(max, Math.abs(x));
    }
    if (max == 0) {
      return 0;
    }
    double sum = 0;
    for (double x : v) {
      double y = x / max;
      sum += y * y;
    }
    return max * Math.sqrt(sum);
  }

  /**
   * Rounds a vector clipped to {@link #clipBeforeRounding()} to grid units, round(v_i/g).
   * Guarantees Σ k_i² ≤ (clip/g)² exactly: if floating-point error in clipping pushed the rounded
   * vector a hair over (by at most 1e-9 relative), the largest coordinates are moved one grid step
   * toward zero until it holds. A vector that was not clipped is rejected.
   */
  public long[] quantize(double[] clippedVector) {
    Objects.requireNonNull(clippedVector, "clippedVector");
    if (clippedVector.length != dimension) {
      throw new IllegalArgumentException(
          "vector has dimension " + clippedVector.length + ", expected " + dimension);
    }
    return quantizeChecked(clippedVector);
  }

  /**
   * {@link #quantize} for a sparse vector given by its non-zero coordinates only (at most {@link
   * #dimension()} of them, in any order); zeros round to zero and add nothing to the norm.
   */
  public long[] quantizeNonZeros(double[] nonZeros) {
    Objects.requireNonNull(nonZeros, "nonZeros");
    if (nonZeros.length > dimension) {
      throw new IllegalArgumentException(
          "more non-zero coordinates (" + nonZeros.length + ") than dimensions (" + dimension + ")");
    }
    return quantizeChecked(nonZeros);
  }

  private long[] quantizeChecked(double[] clippedVector) {
    int dimension = clippedVector.length;
    long[] k = new long[dimension];
    double limit = clip / grid + 1;
    for (int i = 0; i < dimension; i++) {
      double x = clippedVector[i] / grid;
      if (!(Math.abs(x) <= limit)) {
        throw notClipped();
      }
      k[i] = Math.round(x);
    }
    BigDecimal bound = new BigDecimal(clip / grid).pow(2); // clip/g is exact: g is a power of two
    long sumSquares;
    try {
      sumSquares = sumOfSquares(k);
    } catch (ArithmeticException overflow) {
      throw notClipped();
    }
    if (BigDecimal.valueOf(sumSquares).compareTo(bound) > 0) {
      if (sumSquares > bound.doubleValue() * (1 + 1e-9)) {
        throw notClipped();
      }
      while (BigDecimal.valueOf(sumSquares).compareTo(bound) > 0) {
        int largest = 0;
        for (int i = 1; i < dimension; i++) {
          if (Math.abs(k[i]) > Math.abs(k[largest])) {
            largest = i;
          }
        }
        long a = Math.abs(k[largest]);
        k[largest] -= Long.signum(k[largest]);
        sumSquares -= 2 * a - 1; // a² − (a−1)²
      }
    }
    return k;
  }

  private static IllegalArgumentException notClipped() {
    return new IllegalArgumentException(
        "contribution exceeds the clip norm after rounding; clip it to clipBeforeRounding() first");
  }

  private static long sumOfSquares(long[] k) {
    long s = 0;
    for (long x : k) {
      s = Math.addExact(s, Math.multiplyExact(x, x));
    }
    return s;
  }

  /** acc += contribution, element-wise, failing loudly on overflow. Returns acc. */
  public static long[] addInto(long[] acc, long[] contribution) {
    if (acc.length != contribution.length) {
      throw new IllegalArgumentException(
          "length mismatch: " + acc.length + " vs " + contribution.length);
    }
    for (int i = 0; i < acc.length; i++) {
      acc[i] = Math.addExact(acc[i], contribution[i]);
    }
    return acc;
  }

  /**
   * Releases g·(sum + Z) with Z_i ~ N_Z(0, (noiseStddev/g)²) independent. Charge it to the ledger
   * as a Gaussian release with this noiseStddev and sensitivity {@link #clip()}.
   */
  public double[] release(long[] sumInGridUnits, double noiseStddev, NoiseSource noise) {
    Objects.requireNonNull(sumInGridUnits, "sumInGridUnits");
    Objects.requireNonNull(noise, "noise");
    GaussianAccountant.requirePositiveFinite("noiseStddev", noiseStddev);
    if (sumInGridUnits.length != dimension) {
      throw new IllegalArgumentException(
          "sum has dimension " + sumInGridUnits.length + ", expected " + dimension);
    }
    double sigmaInGridUnits = noiseStddev / grid; // exact: g is a power of two
    long[] z = noise.discreteGaussian(dimension, sigmaInGridUnits);
    double[] out = new double[dimension];
    for (int i = 0; i < dimension; i++) {
      out[i] = grid * Math.addExact(sumInGridUnits[i], z[i]);
    }
    return out;
  }
}
