package org.dpsynth.eval;

import java.util.Arrays;

/**
 * Precision and recall on k-nearest-neighbour manifolds (Kynkäänniemi et al., NeurIPS 2019) and
 * density and coverage (Naeem et al., ICML 2020), with Euclidean distance between embeddings.
 *
 * <p>The manifold of a set is the union of balls around its points, each with radius the distance
 * to that point's k-th nearest neighbour in the same set (the point itself excluded). Precision is
 * the share of synthetic points inside the real manifold; recall the share of real points inside
 * the synthetic manifold; density counts how many real balls hold each synthetic point, divided by
 * k; coverage is the share of real points whose ball holds at least one synthetic point.
 */
public record ManifoldMetrics(int k, double precision, double recall, double density, double coverage) {

  public static ManifoldMetrics of(float[][] real, float[][] synthetic, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    if (real.length <= k || synthetic.length <= k) {
      throw new IllegalArgumentException("need more than k = " + k + " points on each side (real "
          + real.length + ", synthetic " + synthetic.length + ")");
    }
    return of(real, kthNeighbourSquared(real, k), synthetic, k);
  }

  /**
   * As {@link #of(float[][], float[][], int)} with the real radii already computed by {@link
   * #kthNeighbourSquared} (for scoring several synthetic sets against the same real set).
   */
  public static ManifoldMetrics of(float[][] real, double[] realRadius, float[][] synthetic, int k) {
    if (k < 1 || real.length <= k || synthetic.length <= k || realRadius.length != real.length) {
      throw new IllegalArgumentException("need k >= 1, more than k points on each side and one radius per real point (k = "
          + k + ", real " + real.length + ", synthetic " + synthetic.length + ")");
    }
    double[][] cross = squaredDistances(real, synthetic);
    double[] synRadius = kthNeighbourSquared(synthetic, k);
    int n = real.length;
    int m = synthetic.length;

    int precise = 0;
    long inside = 0;
    for (int j = 0; j < m; j++) {
      int balls = 0;
      for (int i = 0; i < n; i++) {
        if (cross[i][j] <= realRadius[i]) {
          balls++;
        }
      }
      inside += balls;
      if (balls > 0) {
        precise++;
      }
    }
    int recalled = 0;
    int covered = 0;
    for (int i = 0; i < n; i++) {
      boolean inSynthetic = false;
      double nearest = Double.POSITIVE_INFINITY;
      for (int j = 0; j < m; j++) {
        inSynthetic |= cross[i][j] <= synRadius[j];
        nearest = Math.min(nearest, cross[i][j]);
      }
      if (inSynthetic) {
        recalled++;
      }
      if (nearest <= realRadius[i]) {
        covered++;
      }
    }
    return new ManifoldMetrics(k, (double) precise / m, (double) recalled / n, (double) inside / ((double) k * m),
        (double) covered / n);
  }

  /** Squared distance from each point to its k-th nearest other point of the same set. */
  public static double[] kthNeighbourSquared(float[][] x, int k) {
    double[][] d = squaredDistances(x, x);
    double[] out = new double[x.length];
    double[] row = new double[x.length - 1];
    for (int i = 0; i < x.length; i++) {
      int c = 0;
      for (int j = 0; j < x.length; j++) {
        if (j != i) {
          row[c++] = d[i][j];
        }
      }
      Arrays.sort(row);
      out[i] = row[k - 1];
    }
    return out;
  }

  static double[][] squaredDistances(float[][] a, float[][] b) {
    double[][] d = new double[a.length][b.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < b.length; j++) {
        double s = 0;
        for (int c = 0; c < a[i].length; c++) {
          double diff = (double) a[i][c] - b[j][c];
          s += diff * diff;
        }
        d[i][j] = s;
      }
    }
    return d;
  }
}
