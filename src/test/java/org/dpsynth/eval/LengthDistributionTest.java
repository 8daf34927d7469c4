package org.dpsynth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class LengthDistributionTest {
  @Test
  void wordCountsSplitOnWhitespace() {
    assertEquals(3, LengthDistribution.wordCount("  a  b\tc\n"));
    assertEquals(0, LengthDistribution.wordCount("   "));
    assertEquals(0, LengthDistribution.wordCount(null));
  }

  @Test
  void shiftByOneWordHasWassersteinOneAndKsOneThird() {
    assertEquals(1.0, LengthDistribution.wasserstein1(new double[] {1, 2, 3}, new double[] {2, 3, 4}), 1e-12);
    assertEquals(1.0 / 3, LengthDistribution.ks(new double[] {1, 2, 3}, new double[] {2, 3, 4}), 1e-12);
  }

  @Test
  void pointMassesAndUnequalSizes() {
    assertEquals(2.0, LengthDistribution.wasserstein1(new double[] {1}, new double[] {3, 3}), 1e-12);
    assertEquals(1.0, LengthDistribution.ks(new double[] {1}, new double[] {3, 3}), 1e-12);
    // F_a jumps to 1/2 at 0 and 1 at 4; F_b is 1 from 2 on: area = 1/2*2 + 1/2*2 = 2; sup gap = 1/2.
    assertEquals(2.0, LengthDistribution.wasserstein1(new double[] {0, 4}, new double[] {2}), 1e-12);
    assertEquals(0.5, LengthDistribution.ks(new double[] {0, 4}, new double[] {2}), 1e-12);
    assertEquals(0.0, LengthDistribution.wasserstein1(new double[] {5, 1, 3}, new double[] {1, 3, 5, 3, 1, 5}), 1e-12);
  }

  @Test
  void ofTexts() {
    LengthDistribution d = LengthDistribution.of(List.of("a b", "a b c d"), List.of("a b c", "a b c"));
    assertEquals(3.0, d.realMeanWords(), 0);
    assertEquals(3.0, d.syntheticMeanWords(), 0);
    assertEquals(1.0, d.wasserstein1(), 1e-12);
    assertEquals(0.5, d.ks(), 1e-12);
  }
}
