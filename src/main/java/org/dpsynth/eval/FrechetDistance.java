package org.dpsynth.eval;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * Fréchet distance between two sets of embeddings, each summarised by a Gaussian (the FID
 * formula of Heusel et al. 2017): ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁^½ Σ₂ Σ₁^½)^½). The symmetric
 * form of the cross term keeps every square root that of a positive semi-definite matrix.
 */
public final class FrechetDistance {
  private FrechetDistance() {}

  public static double between(float[][] a, float[][] b) {
    if (a.length < 2 || b.length < 2) {
      throw new IllegalArgumentException("need at least 2 vectors on each side");
    }
    int d = a[0].length;
    double[] mu1 = mean(a, d);
    double[] mu2 = mean(b, d);
    RealMatrix s1 = covariance(a, mu1, d);
    RealMatrix s2 = covariance(b, mu2, d);
    double meanTerm = 0;
    for (int i = 0; i < d; i++) {
      meanTerm += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
    }
    RealMatrix root1 = psdSqrt(s1);
    RealMatrix cross = psdSqrt(root1.multiply(s2).multiply(root1));
    double fd = meanTerm + s1.getTrace() + s2.getTrace() - 2 * cross.getTrace();
    return Math.max(0, fd);
  }

  private static double[] mean(float[][] x, int d) {
    double[] m = new double[d];
    for (float[] v : x) {
      for (int i = 0; i < d; i++) {
        m[i] += v[i];
      }
    }
    for (int i = 0; i < d; i++) {
      m[i] /= x.length;
    }
    return m;
  }

  private static RealMatrix covariance(float[][] x, double[] mu, int d) {
    double[][] c = new double[d][d];
    for (float[] v : x) {
      for (int i = 0; i < d; i++) {
        double di = v[i] - mu[i];
        for (int j = i; j < d; j++) {
          c[i][j] += di * (v[j] - mu[j]);
        }
      }
    }
    for (int i = 0; i < d; i++) {
      for (int j = i; j < d; j++) {
        c[i][j] /= (x.length - 1);
        c[j][i] = c[i][j];
      }
    }
    return new Array2DRowRealMatrix(c, false);
  }

  /** Square root of a symmetric positive semi-definite matrix (negative rounding noise clamped). */
  private static RealMatrix psdSqrt(RealMatrix m) {
    RealMatrix sym = m.add(m.transpose()).scalarMultiply(0.5);
    EigenDecomposition e = new EigenDecomposition(sym);
    double[] ev = e.getRealEigenvalues();
    RealMatrix v = e.getV();
    int d = ev.length;
    double[][] scaled = new double[d][d];
    for (int j = 0; j < d; j++) {
      double r = Math.sqrt(Math.max(0, ev[j]));
      for (int i = 0; i < d; i++) {
        scaled[i][j] = v.getEntry(i, j) * r;
      }
    }
    return new Array2DRowRealMatrix(scaled, false).multiply(v.transpose());
  }
}
