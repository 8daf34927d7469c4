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
    return between(a, reference(b));
  }

  /**
   * The mean and covariance of a reference set (e.g. the real embeddings), computed once and reused
   * for every set compared with it; its covariance square root is computed on first need.
   */
  public static final class Reference {
    private final double[] mu;
    private final RealMatrix sigma;
    private RealMatrix root;

    private Reference(double[] mu, RealMatrix sigma) {
      this.mu = mu;
      this.sigma = sigma;
    }

    private synchronized RealMatrix root() {
      if (root == null) {
        root = psdSqrt(sigma);
      }
      return root;
    }
  }

  /** The Gaussian summary of {@code b} (at least 2 vectors). */
  public static Reference reference(float[][] b) {
    if (b.length < 2) {
      throw new IllegalArgumentException("need at least 2 vectors on each side");
    }
    double[] mu = mean(b, b[0].length);
    return new Reference(mu, covariance(b, mu, b[0].length));
  }

  /**
   * The distance between {@code a} and a precomputed reference. When {@code a} has no more vectors
   * than dimensions, its covariance is Σ₁ = AᵀA with A the centred vectors over sqrt(n − 1) (n × d),
   * and the non-zero eigenvalues of Σ₁^½ Σ₂ Σ₁^½ are those of the n × n matrix A Σ₂ Aᵀ, so the cross
   * term needs one n × n eigen-decomposition instead of two d × d ones (same value up to rounding).
   */
  public static double between(float[][] a, Reference ref) {
    if (a.length < 2) {
      throw new IllegalArgumentException("need at least 2 vectors on each side");
    }
    int d = a[0].length;
    if (ref.mu.length != d) {
      throw new IllegalArgumentException("dimensions differ: " + d + " and " + ref.mu.length);
    }
    double[] mu1 = mean(a, d);
    double meanTerm = 0;
    for (int i = 0; i < d; i++) {
      meanTerm += (mu1[i] - ref.mu[i]) * (mu1[i] - ref.mu[i]);
    }
    double crossTrace;
    double trace1;
    int n = a.length;
    if (n <= d) {
      double[][] c = new double[n][d];
      double scale = 1 / Math.sqrt(n - 1);
      trace1 = 0;
      for (int r = 0; r < n; r++) {
        for (int i = 0; i < d; i++) {
          c[r][i] = (a[r][i] - mu1[i]) * scale;
          trace1 += c[r][i] * c[r][i];
        }
      }
      RealMatrix am = new Array2DRowRealMatrix(c, false);
      RealMatrix small = am.multiply(ref.sigma).multiply(am.transpose());
      crossTrace = sqrtTrace(small);
    } else {
      RealMatrix s1 = covariance(a, mu1, d);
      trace1 = s1.getTrace();
      RealMatrix root2 = ref.root();
      crossTrace = sqrtTrace(root2.multiply(s1).multiply(root2));
    }
    double fd = meanTerm + trace1 + ref.sigma.getTrace() - 2 * crossTrace;
    return Math.max(0, fd);
  }

  /** Tr(M^½) of a symmetric positive semi-definite matrix: the sum of the roots of its eigenvalues. */
  private static double sqrtTrace(RealMatrix m) {
    RealMatrix sym = m.add(m.transpose()).scalarMultiply(0.5);
    double s = 0;
    for (double ev : new EigenDecomposition(sym).getRealEigenvalues()) {
      s += Math.sqrt(Math.max(0, ev));
    }
    return s;
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
