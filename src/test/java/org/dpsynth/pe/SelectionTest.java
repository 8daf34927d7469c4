package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.ChiSquaredDistribution;
import org.junit.jupiter.api.Test;

class SelectionTest {

  @Test
  void thresholdClampsAtZeroAndDropsNonFiniteValues() {
    assertArrayEquals(new double[] {0, 0, 3, 0, 0},
        Selection.threshold(new double[] {-5, 2, 5, Double.NaN, Double.NEGATIVE_INFINITY}, 2), 0);
  }

  @Test
  void allZeroWeightsFallBackToUniformWithoutNaN() {
    Selection.Choice c = Selection.choose(new double[5], 1000, "sample", new SplittableRandom());
    assertTrue(c.uniformFallback());
    int[] seen = new int[5];
    for (int i : c.chosen()) {
      seen[i]++;
    }
    // Each of 5 positions appears in 1000 uniform draws; P(some never appears) < 5 * 0.8^1000.
    assertTrue(Arrays.stream(seen).allMatch(x -> x > 0));
    Selection.Choice r = Selection.choose(new double[3], 2, "rank", new SplittableRandom(1));
    assertTrue(r.uniformFallback());
    assertArrayEquals(new int[] {0, 1}, r.chosen());
  }

  @Test
  void rankTakesTheHighestWeightsAndBreaksTiesByPosition() {
    Selection.Choice c = Selection.choose(new double[] {1, 5, 3, 5, 0}, 3, "rank", new SplittableRandom(1));
    assertFalse(c.uniformFallback());
    assertArrayEquals(new int[] {1, 3, 2}, c.chosen());
  }

  @Test
  void sampleDrawsProportionallyToWeightAndNeverPicksZeroWeight() {
    double[] w = {0, 1, 0, 3, 6, 0};
    int n = 200_000;
    Selection.Choice c = Selection.choose(w, n, "sample", new SplittableRandom());
    long[] counts = new long[w.length];
    for (int i : c.chosen()) {
      counts[i]++;
    }
    assertEquals(0, counts[0] + counts[2] + counts[5], "zero-weight positions are never chosen");
    // Chi-square goodness of fit over the 3 positive cells (2 degrees of freedom); the critical
    // value at 1e-6 makes a false failure this unlikely.
    double chi = 0;
    double total = 10;
    for (int i : new int[] {1, 3, 4}) {
      double expected = n * w[i] / total;
      chi += (counts[i] - expected) * (counts[i] - expected) / expected;
    }
    double critical = new ChiSquaredDistribution(2).inverseCumulativeProbability(1 - 1e-6);
    assertTrue(chi < critical, "chi-square " + chi + " >= " + critical);
  }
}
