package org.dpsynth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FrechetDistanceTest {
  private static float[][] gaussian(SplittableRandom rng, int n, double[] mean, double[] sd) {
    float[][] x = new float[n][mean.length];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < mean.length; j++) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        double z = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
        x[i][j] = (float) (mean[j] + sd[j] * z);
      }
    }
    return x;
  }

  @Test
  void matchesTheClosedFormForIndependentGaussians() {
    SplittableRandom rng = new SplittableRandom(5);
    // FD(N(0, I), N(m, diag(s^2))) = |m|^2 + sum (1 - s)^2 for diagonal covariances.
    float[][] a = gaussian(rng, 40_000, new double[] {0, 0, 0}, new double[] {1, 1, 1});
    float[][] b = gaussian(rng, 40_000, new double[] {1, 0, 2}, new double[] {2, 1, 0.5});
    double expected = 1 + 4 + (1 + 0 + 0.25);
    assertEquals(expected, FrechetDistance.between(a, b), 0.1);
  }

  @Test
  void isNearZeroForTheSameDistributionAndGrowsWithAShift() {
    SplittableRandom rng = new SplittableRandom(9);
    double[] zero = new double[8];
    double[] one = new double[8];
    java.util.Arrays.fill(one, 1);
    float[][] a = gaussian(rng, 5000, zero, one);
    float[][] b = gaussian(rng, 5000, zero, one);
    double same = FrechetDistance.between(a, b);
    double[] shift = zero.clone();
    shift[0] = 0.5;
    double shifted = FrechetDistance.between(a, gaussian(rng, 5000, shift, one));
    assertTrue(same < 0.05, "same distribution: " + same);
    assertTrue(shifted > same + 0.15, "shifted " + shifted + " vs same " + same);
  }
}
