package org.dpsynth.eval;

/**
 * Symmetric Chamfer distance between two sets of unit embeddings: the mean cosine distance from
 * each point to its nearest neighbour in the other set, averaged over both directions. The first
 * direction rewards covering the real data, the second penalises synthetic points far from any real
 * one. Unlike the Fréchet distance it needs no covariance estimate, so it is stable on small sets.
 */
public final class ChamferDistance {
  private ChamferDistance() {}

  public static double between(float[][] a, float[][] b) {
    if (a.length == 0 || b.length == 0) {
      throw new IllegalArgumentException("both sets must be non-empty");
    }
    return (oneWay(a, b) + oneWay(b, a)) / 2;
  }

  /** Mean over x in {@code from} of 1 − max cos(x, y) over y in {@code to}. */
  public static double oneWay(float[][] from, float[][] to) {
    double sum = 0;
    for (float[] x : from) {
      double best = Double.NEGATIVE_INFINITY;
      for (float[] y : to) {
        double dot = 0;
        for (int i = 0; i < x.length; i++) {
          dot += x[i] * y[i];
        }
        best = Math.max(best, dot);
      }
      sum += 1 - best;
    }
    return sum / from.length;
  }
}
