package org.dpsynth.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ManifoldMetricsTest {
  static float[][] line(double... xs) {
    float[][] out = new float[xs.length][];
    for (int i = 0; i < xs.length; i++) {
      out[i] = new float[] {(float) xs[i]};
    }
    return out;
  }

  @Test
  void kthNeighbourRadiusExcludesThePointItself() {
    assertArrayEquals(new double[] {1, 1, 4}, ManifoldMetrics.kthNeighbourSquared(line(0, 1, 3), 1), 0);
    assertArrayEquals(new double[] {9, 4, 9}, ManifoldMetrics.kthNeighbourSquared(line(0, 1, 3), 2), 0);
  }

  /*
   * Real {0,1,2,3,6,6.5}: k=1 radii 1,1,1,1,0.5,0.5. Synthetic {0.5,0.6,2.9,3.0}: radii 0.1 each.
   * precision: every synthetic point is inside a real ball -> 1.
   * recall: only real 3 lies within 0.1 of a synthetic point -> 1/6.
   * density: 0.5 in balls of {0,1}, 0.6 in {0,1}, 2.9 in {2,3}, 3.0 in {2 (boundary), 3} -> 8 / (1*4) = 2.
   * coverage: the nearest synthetic point of 0,1,2,3 is within their radius; of 6 and 6.5 it is not -> 4/6.
   */
  @Test
  void handComputedCaseInOneDimension() {
    ManifoldMetrics m = ManifoldMetrics.of(line(0, 1, 2, 3, 6, 6.5), line(0.5, 0.6, 2.9, 3.0), 1);
    assertEquals(1.0, m.precision(), 1e-12);
    assertEquals(1.0 / 6, m.recall(), 1e-12);
    assertEquals(2.0, m.density(), 1e-12);
    assertEquals(4.0 / 6, m.coverage(), 1e-12);
  }

  /* A synthetic outlier far from the real set lowers precision and density but not coverage. */
  @Test
  void outlierLowersPrecisionAndDensity() {
    ManifoldMetrics m = ManifoldMetrics.of(line(0, 1, 2, 3, 6, 6.5), line(0.5, 0.6, 2.9, 3.0, 100), 1);
    assertEquals(4.0 / 5, m.precision(), 1e-12);
    assertEquals(8.0 / 5, m.density(), 1e-12);
    assertEquals(4.0 / 6, m.coverage(), 1e-12);
  }

  @Test
  void identicalSetsScorePerfectly() {
    float[][] x = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {3, 3}};
    ManifoldMetrics m = ManifoldMetrics.of(x, x, 2);
    assertEquals(1.0, m.precision(), 0);
    assertEquals(1.0, m.recall(), 0);
    assertEquals(1.0, m.coverage(), 0);
  }

  @Test
  void needsMoreThanKPoints() {
    assertThrows(IllegalArgumentException.class, () -> ManifoldMetrics.of(line(0, 1), line(0, 1, 2), 2));
    assertThrows(IllegalArgumentException.class, () -> ManifoldMetrics.of(line(0, 1, 2), line(0, 1, 2), 0));
  }
}
