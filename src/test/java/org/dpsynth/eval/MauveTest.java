package org.dpsynth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MauveTest {

  /**
   * n unit vectors in 384 dimensions: the axis {@code centre} plus Gaussian noise of standard
   * deviation {@code spread} in dimensions 2 to 9 (a low-dimensional cloud, as sentence embeddings are).
   */
  static float[][] cloud(int n, int centre, double spread, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[][] x = new float[n][384];
    for (float[] v : x) {
      double norm = 0;
      for (int d = 0; d < v.length; d++) {
        v[d] = (float) ((d == centre ? 1 : 0) + (d >= 2 && d < 10 ? spread * gaussian(rng) : 0));
        norm += v[d] * v[d];
      }
      for (int d = 0; d < v.length; d++) {
        v[d] /= (float) Math.sqrt(norm);
      }
    }
    return x;
  }

  static double gaussian(SplittableRandom rng) {
    return Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
  }

  @Test
  void identicalDistributionsScoreOne() {
    float[][] a = cloud(300, 0, 0.1, 1);
    Mauve.Result r = Mauve.between(a, a.clone());
    assertEquals(1.0, r.mauve(), 1e-9);
    assertEquals(30, r.clusters(), "k = min(|P|, |Q|) / 10");
  }

  @Test
  void disjointDistributionsScoreNearZero() {
    Mauve.Result r = Mauve.between(cloud(300, 0, 0.1, 1), cloud(300, 1, 0.1, 2));
    // disjoint histograms: the frontier is x = (1 - λ)^5, y = λ^5; its exact area is Γ(6)²/Γ(11) = 0.00397,
    // the 25-point polygon's slightly more
    assertEquals(Mauve.frontierArea(new double[] {1, 0}, new double[] {0, 1}), r.mauve(), 1e-12);
    assertTrue(r.mauve() < 0.02, "MAUVE " + r.mauve());
    assertTrue(r.mauve() > 0.00397, "the polygon lies outside the true frontier");
  }

  @Test
  void samplesOfOneDistributionScoreHighAndAMixtureInBetween() {
    // Two independent samples of the same cloud: histograms differ only by sampling noise.
    double same = Mauve.between(cloud(400, 0, 0.1, 3), cloud(400, 0, 0.1, 4)).mauve();
    // Half of Q from another cloud.
    float[][] half = new float[400][];
    float[][] other = cloud(200, 1, 0.1, 6);
    float[][] own = cloud(200, 0, 0.1, 5);
    for (int i = 0; i < 400; i++) {
      half[i] = i % 2 == 0 ? own[i / 2] : other[i / 2];
    }
    double mixed = Mauve.between(cloud(400, 0, 0.1, 3), half).mauve();
    double apart = Mauve.between(cloud(400, 0, 0.1, 3), cloud(400, 1, 0.1, 7)).mauve();
    assertTrue(same > 0.8, "same distribution: " + same);
    assertTrue(mixed < same && mixed > apart, "same " + same + " > mixed " + mixed + " > apart " + apart);
    assertTrue(apart < 0.02, "apart " + apart);
  }

  @Test
  void frontierAreaOfKnownHistograms() {
    assertEquals(1.0, Mauve.frontierArea(new double[] {0.2, 0.1, 0.5}, new double[] {0.2, 0.1, 0.5}), 1e-12);
    double close = Mauve.frontierArea(new double[] {0.5, 0.5}, new double[] {0.45, 0.55});
    double far = Mauve.frontierArea(new double[] {0.5, 0.5}, new double[] {0.1, 0.9});
    assertTrue(close > far && close < 1, close + " " + far);
    assertEquals(far, Mauve.frontierArea(new double[] {0.1, 0.9}, new double[] {0.5, 0.5}), 1e-12, "symmetric in P and Q");
  }
}
