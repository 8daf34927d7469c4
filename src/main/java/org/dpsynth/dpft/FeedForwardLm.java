package org.dpsynth.dpft;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * A small feed-forward neural language model (Bengio et al. 2003, "A Neural Probabilistic Language
 * Model"): the embeddings of the previous {@code context} tokens and of a control code (the label,
 * code 0 = none) are concatenated, go through one tanh hidden layer, and a softmax over the
 * vocabulary predicts the next token. Forward and backward passes are written by hand over one flat
 * parameter array, so DP-SGD can clip, quantise and noise the whole gradient as one vector.
 *
 * <p>The control code conditions every position, which is how this fixed-window model keeps the
 * prompt {@code label: <label> | text:} (Yue et al. 2023) in view beyond the first few tokens.
 *
 * <p>Parameter layout: E [V×d], codes [K×d], W1 [(n+1)d × h], b1 [h], W2 [h × V], b2 [V].
 */
public final class FeedForwardLm {

  /** Architecture: vocabulary size V, context n, embedding d, hidden h, control codes K. */
  public record Shape(int vocab, int context, int embed, int hidden, int codes) implements Serializable {
    public Shape {
      if (vocab < 4 || context < 1 || embed < 1 || hidden < 1 || codes < 1) {
        throw new IllegalArgumentException("model shape must be positive (vocab >= 4): " + this);
      }
    }

    int inputs() {
      return (context + 1) * embed;
    }

    int offCodes() {
      return vocab * embed;
    }

    int offW1() {
      return offCodes() + codes * embed;
    }

    int offB1() {
      return offW1() + inputs() * hidden;
    }

    int offW2() {
      return offB1() + hidden;
    }

    int offB2() {
      return offW2() + hidden * vocab;
    }

    /** Number of parameters. */
    public int parameters() {
      return Math.addExact(offB2(), vocab);
    }
  }

  private final Shape shape;
  private final double[] params;
  // Work buffers (this class is not thread-safe; use one instance per thread).
  private final double[] x;
  private final double[] a;
  private final double[] probs;
  private final double[] dz;
  private final int[] ctx;

  /** A model over {@code params} (not copied: updates to the array are seen by the model). */
  public FeedForwardLm(Shape shape, double[] params) {
    if (params.length != shape.parameters()) {
      throw new IllegalArgumentException(
          "expected " + shape.parameters() + " parameters for " + shape + ", got " + params.length);
    }
    this.shape = shape;
    this.params = params;
    this.x = new double[shape.inputs()];
    this.a = new double[shape.hidden()];
    this.probs = new double[shape.vocab()];
    this.dz = new double[shape.hidden()];
    this.ctx = new int[shape.context()];
  }

  /** Small random initial parameters (uniform ±0.1 embeddings, Glorot-scaled weights, zero biases). */
  public static double[] initialParameters(Shape s, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    double[] p = new double[s.parameters()];
    for (int i = 0; i < s.offW1(); i++) {
      p[i] = (rnd.nextDouble() * 2 - 1) * 0.1;
    }
    double r1 = Math.sqrt(6.0 / (s.inputs() + s.hidden()));
    for (int i = s.offW1(); i < s.offB1(); i++) {
      p[i] = (rnd.nextDouble() * 2 - 1) * r1;
    }
    double r2 = Math.sqrt(6.0 / (s.hidden() + s.vocab()));
    for (int i = s.offW2(); i < s.offB2(); i++) {
      p[i] = (rnd.nextDouble() * 2 - 1) * r2;
    }
    return p;
  }

  public Shape shape() {
    return shape;
  }

  public double[] parameters() {
    return params;
  }

  /**
   * Adds the gradient of the MEAN next-token negative log-likelihood of {@code tokens} (ids without
   * {@code <bos>}; each is predicted from the previous n, padded with {@code <bos>}) under control
   * code {@code code}, times {@code scale}, into {@code grad}. Returns the summed NLL (nats).
   */
  public double accumulateGradient(int[] tokens, int code, double scale, double[] grad) {
    checkCode(code);
    if (tokens.length == 0) {
      return 0;
    }
    double s = scale / tokens.length;
    double nll = 0;
    for (int pos = 0; pos < tokens.length; pos++) {
      context(tokens, pos);
      forward(code);
      int y = tokens[pos];
      nll -= Math.log(Math.max(probs[y], Double.MIN_NORMAL));
      backward(code, y, s, grad);
    }
    return nll;
  }

  /** Summed NLL of the sequence (no gradient). */
  public double negLogLikelihood(int[] tokens, int code) {
    checkCode(code);
    double nll = 0;
    for (int pos = 0; pos < tokens.length; pos++) {
      context(tokens, pos);
      forward(code);
      nll -= Math.log(Math.max(probs[tokens[pos]], Double.MIN_NORMAL));
    }
    return nll;
  }

  /**
   * The next-token distribution after {@code prefix} (its last n ids are the context). The returned
   * array is a work buffer, valid until the next call.
   */
  public double[] nextDistribution(int[] prefix, int prefixLength, int code) {
    checkCode(code);
    for (int p = 0; p < shape.context(); p++) {
      int i = prefixLength - shape.context() + p;
      ctx[p] = i < 0 ? Vocabulary.BOS : prefix[i];
    }
    forward(code);
    return probs;
  }

  private void checkCode(int code) {
    if (code < 0 || code >= shape.codes()) {
      throw new IllegalArgumentException("control code " + code + " outside [0, " + shape.codes() + ")");
    }
  }

  private void context(int[] tokens, int pos) {
    int n = shape.context();
    for (int p = 0; p < n; p++) {
      int i = pos - n + p;
      ctx[p] = i < 0 ? Vocabulary.BOS : tokens[i];
    }
  }

  private void forward(int code) {
    int d = shape.embed();
    int n = shape.context();
    int h = shape.hidden();
    int vocab = shape.vocab();
    for (int p = 0; p < n; p++) {
      System.arraycopy(params, ctx[p] * d, x, p * d, d);
    }
    System.arraycopy(params, shape.offCodes() + code * d, x, n * d, d);
    int w1 = shape.offW1();
    int b1 = shape.offB1();
    for (int j = 0; j < h; j++) {
      a[j] = params[b1 + j];
    }
    for (int i = 0; i < x.length; i++) {
      double xi = x[i];
      int row = w1 + i * h;
      for (int j = 0; j < h; j++) {
        a[j] += xi * params[row + j];
      }
    }
    for (int j = 0; j < h; j++) {
      a[j] = Math.tanh(a[j]);
    }
    int w2 = shape.offW2();
    System.arraycopy(params, shape.offB2(), probs, 0, vocab);
    for (int j = 0; j < h; j++) {
      double aj = a[j];
      int row = w2 + j * vocab;
      for (int v = 0; v < vocab; v++) {
        probs[v] += aj * params[row + v];
      }
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      max = Math.max(max, probs[v]);
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      double e = Math.exp(probs[v] - max);
      probs[v] = e;
      sum += e;
    }
    double inv = 1 / sum;
    for (int v = 0; v < vocab; v++) {
      probs[v] *= inv;
    }
  }

  /** Backward pass of one position after {@link #forward}; probs is overwritten. */
  private void backward(int code, int y, double s, double[] grad) {
    int d = shape.embed();
    int n = shape.context();
    int h = shape.hidden();
    int vocab = shape.vocab();
    // probs becomes dLoss/dlogits
    for (int v = 0; v < vocab; v++) {
      probs[v] *= s;
    }
    probs[y] -= s;
    int b2 = shape.offB2();
    for (int v = 0; v < vocab; v++) {
      grad[b2 + v] += probs[v];
    }
    int w2 = shape.offW2();
    for (int j = 0; j < h; j++) {
      double aj = a[j];
      int row = w2 + j * vocab;
      double da = 0;
      for (int v = 0; v < vocab; v++) {
        double g = probs[v];
        da += params[row + v] * g;
        grad[row + v] += aj * g;
      }
      dz[j] = da * (1 - aj * aj);
    }
    int b1 = shape.offB1();
    for (int j = 0; j < h; j++) {
      grad[b1 + j] += dz[j];
    }
    int w1 = shape.offW1();
    for (int i = 0; i < x.length; i++) {
      double xi = x[i];
      int row = w1 + i * h;
      double dx = 0;
      for (int j = 0; j < h; j++) {
        dx += params[row + j] * dz[j];
        grad[row + j] += xi * dz[j];
      }
      int p = i / d;
      int e = i % d;
      int target = p < n ? ctx[p] * d + e : shape.offCodes() + code * d + e;
      grad[target] += dx;
    }
  }
}
