package org.dpsynth.dpft;

/**
 * The Adam optimiser (Kingma and Ba 2015) over a flat parameter array, or plain SGD when
 * {@code beta1 = beta2 = 0} is not wanted: {@link #sgd} does a plain step. Its state (m, v, t) is
 * saved in checkpoints so a resumed run continues exactly.
 */
public final class Adam {
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double[] m;
  private final double[] v;
  private long t;

  public Adam(int parameters) {
    this(new double[parameters], new double[parameters], 0);
  }

  Adam(double[] m, double[] v, long t) {
    this.beta1 = 0.9;
    this.beta2 = 0.999;
    this.eps = 1e-8;
    this.m = m;
    this.v = v;
    this.t = t;
  }

  /** An independent copy of the optimiser state. */
  public Adam copy() {
    return new Adam(m.clone(), v.clone(), t);
  }

  /** params -= lr · m̂ / (√v̂ + eps). */
  public void step(double[] params, double[] grad, double lr) {
    t++;
    double c1 = 1 - Math.pow(beta1, t);
    double c2 = 1 - Math.pow(beta2, t);
    for (int i = 0; i < params.length; i++) {
      double g = grad[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
    }
  }

  /** params -= lr · grad. */
  public static void sgd(double[] params, double[] grad, double lr) {
    for (int i = 0; i < params.length; i++) {
      params[i] -= lr * grad[i];
    }
  }

  double[] m() {
    return m;
  }

  double[] v() {
    return v;
  }

  long t() {
    return t;
  }
}
