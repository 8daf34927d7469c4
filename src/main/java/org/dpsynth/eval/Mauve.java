package org.dpsynth.eval;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * MAUVE (Pillutla et al., NeurIPS 2021, "MAUVE: Measuring the Gap Between Neural Text and Human
 * Text using Divergence Frontiers") on embedding features: the union of real (P) and synthetic (Q)
 * vectors is L2-normalised, projected on the principal components that explain {@value
 * #EXPLAINED_VARIANCE} of its variance and quantised by k-means (k = max(2, round(min(|P|, |Q|) /
 * 10)), k-means++ seeding, {@value #RESTARTS} restarts, the lowest inertia kept); on the two cluster
 * histograms, the divergence frontier is traced through the mixtures R_λ = λP + (1 − λ)Q for
 * {@value #FRONTIER_POINTS} values of λ in (0, 1) as the points (exp(−c·KL(Q‖R_λ)),
 * exp(−c·KL(P‖R_λ))) with c = {@value #SCALING}, closed by (1, 0) and (0, 1), and MAUVE is the area
 * under it: 1 for identical histograms, near 0 for disjoint ones. The defaults are the paper's.
 *
 * <p>Deterministic for a given seed; plain Java (the 384-dimensional PCA uses commons-math3).
 */
public final class Mauve {
  static final double EXPLAINED_VARIANCE = 0.9;
  static final int RESTARTS = 5;
  static final int MAX_ITERATIONS = 500;
  static final int FRONTIER_POINTS = 25;
  static final double SCALING = 5;
  private static final long SEED = 25;

  private Mauve() {}

  /** The MAUVE score and what it was computed from. */
  public record Result(double mauve, int clusters, int dimensions, double[] realHistogram, double[] syntheticHistogram) {}

  /** MAUVE between real and synthetic vectors (at least 2 of each; equal dimensions). */
  public static Result between(float[][] real, float[][] synthetic) {
    return between(real, synthetic, Math.max(2, (int) Math.round(Math.min(real.length, synthetic.length) / 10.0)), SEED);
  }

  /** MAUVE with {@code clusters} k-means buckets and k-means seed {@code seed}. */
  public static Result between(float[][] real, float[][] synthetic, int clusters, long seed) {
    if (real.length < 2 || synthetic.length < 2) {
      throw new IllegalArgumentException("MAUVE needs at least 2 vectors on each side");
    }
    int n = real.length + synthetic.length;
    double[][] x = new double[n][];
    for (int i = 0; i < n; i++) {
      float[] v = i < real.length ? real[i] : synthetic[i - real.length];
      double norm = 0;
      for (float f : v) {
        norm += (double) f * f;
      }
      double inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      x[i] = new double[v.length];
      for (int d = 0; d < v.length; d++) {
        x[i][d] = v[d] * inv;
      }
    }
    double[][] projected = principalComponents(x, EXPLAINED_VARIANCE);
    int k = Math.min(clusters, n);
    int[] assignment = kMeans(projected, k, seed);
    double[] p = new double[k];
    double[] q = new double[k];
    for (int i = 0; i < n; i++) {
      if (i < real.length) {
        p[assignment[i]] += 1.0 / real.length;
      } else {
        q[assignment[i]] += 1.0 / synthetic.length;
      }
    }
    return new Result(frontierArea(p, q), k, projected[0].length, p, q);
  }

  /**
   * The area under the divergence frontier of two histograms over the same buckets (the MAUVE
   * score of already quantised distributions).
   */
  static double frontierArea(double[] p, double[] q) {
    // path from (1, 0) through the mixtures (λ ascending: from near Q to near P) to (0, 1)
    double[] xs = new double[FRONTIER_POINTS + 2];
    double[] ys = new double[FRONTIER_POINTS + 2];
    xs[0] = 1;
    ys[0] = 0;
    for (int i = 0; i < FRONTIER_POINTS; i++) {
      double lambda = 1e-6 + (1 - 2e-6) * i / (FRONTIER_POINTS - 1);
      double[] r = new double[p.length];
      for (int b = 0; b < p.length; b++) {
        r[b] = lambda * p[b] + (1 - lambda) * q[b];
      }
      xs[i + 1] = Math.exp(-SCALING * kl(q, r));
      ys[i + 1] = Math.exp(-SCALING * kl(p, r));
    }
    xs[FRONTIER_POINTS + 1] = 0;
    ys[FRONTIER_POINTS + 1] = 1;
    // shoelace area of the polygon origin → path → origin; the path runs counter-clockwise
    double area = 0;
    double px = 0;
    double py = 0;
    for (int i = 0; i <= xs.length; i++) {
      double cx = i < xs.length ? xs[i] : 0;
      double cy = i < xs.length ? ys[i] : 0;
      area += px * cy - cx * py;
      px = cx;
      py = cy;
    }
    return Math.max(0, Math.min(1, area / 2));
  }

  private static double kl(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i] > 0) {
        s += b[i] > 0 ? a[i] * Math.log(a[i] / b[i]) : Double.POSITIVE_INFINITY;
      }
    }
    return s;
  }

  /** Rows of {@code x}, centred and projected on the leading principal components explaining {@code share}. */
  static double[][] principalComponents(double[][] x, double share) {
    int n = x.length;
    int d = x[0].length;
    double[] mean = new double[d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        mean[j] += row[j] / n;
      }
    }
    double[][] cov = new double[d][d];
    double[] c = new double[d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        c[j] = row[j] - mean[j];
      }
      for (int a = 0; a < d; a++) {
        if (c[a] == 0) {
          continue;
        }
        for (int b = a; b < d; b++) {
          cov[a][b] += c[a] * c[b];
        }
      }
    }
    for (int a = 0; a < d; a++) {
      for (int b = a; b < d; b++) {
        cov[a][b] /= Math.max(1, n - 1);
        cov[b][a] = cov[a][b];
      }
    }
    EigenDecomposition eig = new EigenDecomposition(new Array2DRowRealMatrix(cov, false));
    double[] values = eig.getRealEigenvalues();
    Integer[] order = new Integer[d];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, (i, j) -> Double.compare(values[j], values[i]));
    double total = 0;
    for (double v : values) {
      total += Math.max(0, v);
    }
    int keep = 0;
    double cumulative = 0;
    while (keep < d) {
      cumulative += Math.max(0, values[order[keep]]);
      keep++;
      if (total <= 0 || cumulative >= share * total) {
        break;
      }
    }
    RealMatrix vectors = eig.getV();
    double[][] out = new double[n][keep];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        c[j] = x[i][j] - mean[j];
      }
      for (int m = 0; m < keep; m++) {
        double s = 0;
        int col = order[m];
        for (int j = 0; j < d; j++) {
          s += c[j] * vectors.getEntry(j, col);
        }
        out[i][m] = s;
      }
    }
    return out;
  }

  /** Lloyd's k-means with k-means++ seeding (Arthur &amp; Vassilvitskii 2007), best of {@value #RESTARTS}. */
  static int[] kMeans(double[][] x, int k, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int[] best = null;
    double bestInertia = Double.POSITIVE_INFINITY;
    for (int restart = 0; restart < RESTARTS; restart++) {
      double[][] centres = seedCentres(x, k, rng);
      int[] assign = new int[x.length];
      double inertia = Double.POSITIVE_INFINITY;
      for (int it = 0; it < MAX_ITERATIONS; it++) {
        boolean changed = false;
        inertia = 0;
        for (int i = 0; i < x.length; i++) {
          int arg = 0;
          double dmin = Double.POSITIVE_INFINITY;
          for (int c = 0; c < k; c++) {
            double dist = squaredDistance(x[i], centres[c]);
            if (dist < dmin) {
              dmin = dist;
              arg = c;
            }
          }
          changed |= it == 0 || assign[i] != arg;
          assign[i] = arg;
          inertia += dmin;
        }
        if (!changed) {
          break;
        }
        double[][] sums = new double[k][x[0].length];
        int[] counts = new int[k];
        for (int i = 0; i < x.length; i++) {
          counts[assign[i]]++;
          for (int j = 0; j < x[i].length; j++) {
            sums[assign[i]][j] += x[i][j];
          }
        }
        for (int c = 0; c < k; c++) {
          if (counts[c] > 0) {
            for (int j = 0; j < sums[c].length; j++) {
              centres[c][j] = sums[c][j] / counts[c];
            }
          } // an empty cluster keeps its centre
        }
      }
      if (inertia < bestInertia) {
        bestInertia = inertia;
        best = assign.clone();
      }
    }
    return best;
  }

  private static double[][] seedCentres(double[][] x, int k, SplittableRandom rng) {
    double[][] centres = new double[k][];
    centres[0] = x[rng.nextInt(x.length)].clone();
    double[] d2 = new double[x.length];
    Arrays.fill(d2, Double.POSITIVE_INFINITY);
    for (int c = 1; c < k; c++) {
      double total = 0;
      for (int i = 0; i < x.length; i++) {
        d2[i] = Math.min(d2[i], squaredDistance(x[i], centres[c - 1]));
        total += d2[i];
      }
      int pick = x.length - 1;
      if (total > 0) {
        double r = rng.nextDouble() * total;
        for (int i = 0; i < x.length; i++) {
          r -= d2[i];
          if (r < 0) {
            pick = i;
            break;
          }
        }
      } else {
        pick = rng.nextInt(x.length);
      }
      centres[c] = x[pick].clone();
    }
    return centres;
  }

  private static double squaredDistance(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double t = a[i] - b[i];
      s += t * t;
    }
    return s;
  }
}
