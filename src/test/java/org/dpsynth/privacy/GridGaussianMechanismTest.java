package org.dpsynth.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GridGaussianMechanismTest {

  @Test
  void gridIsTheLargestPowerOfTwoWithinTheRoundingShare() {
    for (double clip : new double[] {1e-3, 0.5, 1, 3, 1000, 1e12}) {
      for (int d : new int[] {1, 2, 7, 384, 100_000}) {
        double g = GridGaussianMechanism.gridFor(clip, d);
        assertEquals(0, Math.getExponent(g) - Math.log(g) / Math.log(2), 1e-9, "power of two");
        assertEquals(Double.doubleToLongBits(g) & ((1L << 52) - 1), 0, "mantissa bits");
        assertTrue(g / 2 * Math.sqrt(d) <= clip * 0x1p-16);
        assertTrue(g * Math.sqrt(d) > clip * 0x1p-16, "2g would also fit: not the largest");
      }
    }
  }

  @Test
  void clipToNormClipsAndKeepsDirection() {
    double[] v = {3, -4};
    assertArrayEquals(new double[] {0.6, -0.8}, GridGaussianMechanism.clipToNorm(v, 1), 1e-15);
    assertArrayEquals(v, GridGaussianMechanism.clipToNorm(v, 5));
    assertArrayEquals(new double[] {3, -4}, v, "input untouched");
    double[] huge = GridGaussianMechanism.clipToNorm(new double[] {1e300, 1e300}, 2);
    assertEquals(2, GridGaussianMechanism.norm(huge), 1e-15);
    assertThrows(IllegalArgumentException.class,
        () -> GridGaussianMechanism.clipToNorm(new double[] {Double.NaN}, 1));
  }

  @Test
  void roundedContributionsNeverExceedTheClipExactly() {
    SplittableRandom rnd = new SplittableRandom(7); // fixed inputs; the property is not statistical
    for (int d : new int[] {1, 3, 50, 1000}) {
      GridGaussianMechanism m = new GridGaussianMechanism(1.0, d);
      BigInteger bound = BigInteger.ZERO;
      for (int trial = 0; trial < 200; trial++) {
        double[] v = new double[d];
        for (int i = 0; i < d; i++) {
          v[i] = rnd.nextDouble(-1, 1) * (trial % 2 == 0 ? 1 : 1e6);
        }
        long[] k = m.quantize(GridGaussianMechanism.clipToNorm(v, m.clipBeforeRounding()));
        assertTrue(exactNormSquaredAtMost(k, m.clip() / m.grid()), "d=" + d);
      }
    }
  }

  @Test
  void worstCaseRoundingStillFitsBecauseOfTheMargin() {
    int d = 100;
    GridGaussianMechanism m = new GridGaussianMechanism(1.0, d);
    double g = m.grid();
    // Every coordinate sits exactly on a half-grid point, so Math.round moves each one outward by
    // g/2: the rounding error is the full (g/2)·√d the margin pays for.
    double[] v = halfGridVectorWithNormAtMost(m.clipBeforeRounding(), d, g);
    long[] k = m.quantize(v);
    double roundedNorm = Math.sqrt(sumSquares(k).doubleValue()) * g;
    assertTrue(roundedNorm > GridGaussianMechanism.norm(v) + 0.9 * g / 2 * Math.sqrt(d));
    assertTrue(exactNormSquaredAtMost(k, m.clip() / g));
  }

  @Test
  void brokenClippingIsCaught() {
    // Test of the test: the same worst case clipped to the full clip (no rounding margin) would
    // round to a norm above clip; quantize refuses it instead of releasing it.
    int d = 100;
    GridGaussianMechanism m = new GridGaussianMechanism(1.0, d);
    double[] v = halfGridVectorWithNormAtMost(m.clip(), d, m.grid());
    assertTrue(GridGaussianMechanism.norm(v) > m.clipBeforeRounding());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.quantize(v));
    assertTrue(e.getMessage().contains("clipBeforeRounding"));
    // No clipping at all is refused too, whatever the size, without overflow.
    assertThrows(IllegalArgumentException.class, () -> m.quantize(filled(d, 0.5)));
    assertThrows(IllegalArgumentException.class, () -> m.quantize(filled(d, 1e18)));
    assertThrows(IllegalArgumentException.class, () -> m.quantize(new double[d + 1]));
  }

  @Test
  void hairlineExcessFromFloatingPointIsRepairedNotReleased() {
    // d = 1000, clip = 1: g = 2^-20, so the exact bound is Σk² ≤ (2^20)² = 2^40.
    int d = 1000;
    GridGaussianMechanism m = new GridGaussianMechanism(1.0, d);
    assertEquals(0x1p-20, m.grid());
    // (clip, g, 0, ...) rounds to (2^20, 1, 0, ...): Σk² = 2^40 + 1, over by 1e-12 relative, the
    // size of floating-point dust. It is repaired by one grid step toward zero, not released.
    double[] v = new double[d];
    v[0] = 1.0;
    v[1] = m.grid();
    long[] k = m.quantize(v);
    assertEquals((1L << 20) - 1, k[0]);
    assertEquals(1, k[1]);
    assertTrue(exactNormSquaredAtMost(k, m.clip() / m.grid()));
    // An excess of 1e-5 relative is not dust: (clip·(1+1e-5), 0, ...) is refused.
    double[] w = new double[d];
    w[0] = 1.0 + 1e-5;
    assertThrows(IllegalArgumentException.class, () -> m.quantize(w));
  }

  @Test
  void releaseAddsExactlyTheSeededNoiseOnTheGrid() {
    int d = 64;
    GridGaussianMechanism m = new GridGaussianMechanism(2.0, d);
    long[] sum = new long[d];
    SplittableRandom rnd = new SplittableRandom(3);
    for (int user = 0; user < 30; user++) {
      double[] v = new double[d];
      for (int i = 0; i < d; i++) {
        v[i] = rnd.nextGaussian();
      }
      GridGaussianMechanism.addInto(sum, m.quantize(GridGaussianMechanism.clipToNorm(v,
          m.clipBeforeRounding())));
    }
    double sigma = 5.0;
    double[] released = m.release(sum, sigma, new SeededNoise(11));
    long[] z = new SeededNoise(11).discreteGaussian(d, sigma / m.grid());
    for (int i = 0; i < d; i++) {
      assertEquals((sum[i] + z[i]) * m.grid(), released[i], 0.0);
    }
    // The noise really is there, at the right scale in released units (σ = 5, 64 draws).
    double ss = 0;
    for (int i = 0; i < d; i++) {
      double noise = released[i] - sum[i] * m.grid();
      ss += noise * noise;
    }
    assertTrue(ss / d > 5 && ss / d < 100, "noise variance " + ss / d);
  }

  @Test
  void overflowIsLoud() {
    GridGaussianMechanism m = new GridGaussianMechanism(1.0, 2);
    assertThrows(ArithmeticException.class,
        () -> GridGaussianMechanism.addInto(new long[] {Long.MAX_VALUE}, new long[] {1}));
    assertThrows(ArithmeticException.class,
        () -> m.release(new long[] {Long.MAX_VALUE, Long.MAX_VALUE}, 1e-3 * 0x1p20,
            new SeededNoise(1)));
    assertThrows(IllegalArgumentException.class,
        () -> m.release(new long[] {0, 0}, 0, new SeededNoise(1)));
    assertThrows(IllegalArgumentException.class,
        () -> m.release(new long[] {0}, 1, new SeededNoise(1)));
  }

  private static double[] halfGridVectorWithNormAtMost(double norm, int d, double g) {
    long base = (long) Math.floor(norm / Math.sqrt(d) / g - 0.5);
    double[] v = new double[d];
    for (int i = 0; i < d; i++) {
      v[i] = (base + 0.5) * g; // exact: g is a power of two
    }
    return v;
  }

  private static double[] filled(int d, double value) {
    double[] v = new double[d];
    java.util.Arrays.fill(v, value);
    return v;
  }

  private static BigInteger sumSquares(long[] k) {
    BigInteger s = BigInteger.ZERO;
    for (long x : k) {
      s = s.add(BigInteger.valueOf(x).pow(2));
    }
    return s;
  }

  private static boolean exactNormSquaredAtMost(long[] k, double units) {
    return new java.math.BigDecimal(sumSquares(k))
            .compareTo(new java.math.BigDecimal(units).pow(2)) <= 0;
  }
}
