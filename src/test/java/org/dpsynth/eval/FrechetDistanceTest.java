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

  @Test
  void theLowRankPathAgreesWithTheFullOneAndTheReferenceIsReusable() {
    // 20 vectors in 30 dimensions take the n x n path; 500 take the d x d path. The distance is
    // symmetric, so scoring either side against the other must give the same number.
    SplittableRandom rng = new SplittableRandom(3);
    double[] mean = new double[30];
    double[] sd = new double[30];
    for (int j = 0; j < 30; j++) {
      mean[j] = j % 3 == 0 ? 0.4 : 0;
      sd[j] = 0.5 + (j % 5) * 0.3;
    }
    float[][] few = gaussian(rng, 20, mean, sd);
    float[][] many = gaussian(rng, 500, new double[30], sd);
    double lowRank = FrechetDistance.between(few, FrechetDistance.reference(many));
    double full = FrechetDistance.between(many, FrechetDistance.reference(few));
    assertTrue(lowRank > 1, "a shifted sample is far: " + lowRank);
    assertEquals(full, lowRank, 1e-6 * full);
    FrechetDistance.Reference ref = FrechetDistance.reference(many);
    assertEquals(lowRank, FrechetDistance.between(few, ref), 1e-12);
    assertEquals(lowRank, FrechetDistance.between(few, ref), 1e-12, "the cached reference gives the same value again");
    assertEquals(lowRank, FrechetDistance.between(few, many), 1e-12);
  }
}
