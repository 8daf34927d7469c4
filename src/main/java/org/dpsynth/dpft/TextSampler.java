package org.dpsynth.dpft;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Samples texts from {@link FeedForwardLm} under a control code with temperature, top-k and
 * nucleus (top-p, Holtzman et al. 2020) truncation. {@code <unk>} and {@code <bos>} are never
 * drawn, and {@code <eos>} not as the first token, so every text has at least one word. Uses only
 * the (DP) model and a public seed: sampling is post-processing.
 */
public final class TextSampler {
  private final FeedForwardLm model;
  private final double temperature;
  private final int topK;
  private final double topP;
  private final int maxTokens;

  public TextSampler(FeedForwardLm model, double temperature, int topK, double topP, int maxTokens) {
    this.model = model;
    this.temperature = temperature;
    this.topK = topK;
    this.topP = topP;
    this.maxTokens = maxTokens;
  }

  /** Token ids of one sampled text (without {@code <eos>}). */
  public int[] sample(int code, SplittableRandom rnd) {
    int[] out = new int[maxTokens];
    int n = 0;
    int vocab = model.shape().vocab();
    double[] w = new double[vocab];
    Integer[] idx = new Integer[vocab];
    while (n < maxTokens) {
      double[] p = model.nextDistribution(out, n, code);
      for (int v = 0; v < vocab; v++) {
        w[v] = Math.exp(Math.log(Math.max(p[v], Double.MIN_NORMAL)) / temperature);
      }
      w[Vocabulary.UNK] = 0;
      w[Vocabulary.BOS] = 0;
      if (n == 0) {
        w[Vocabulary.EOS] = 0;
      }
      int next = draw(w, idx, rnd);
      if (next == Vocabulary.EOS) {
        break;
      }
      out[n++] = next;
    }
    return Arrays.copyOf(out, n);
  }

  private int draw(double[] w, Integer[] idx, SplittableRandom rnd) {
    int vocab = w.length;
    for (int v = 0; v < vocab; v++) {
      idx[v] = v;
    }
    Arrays.sort(idx, (a, b) -> Double.compare(w[b], w[a]));
    double total = 0;
    for (double x : w) {
      total += x;
    }
    int keep = topK > 0 ? Math.min(topK, vocab) : vocab;
    double mass = 0;
    int cut = 0;
    while (cut < keep) {
      mass += w[idx[cut]];
      cut++;
      if (mass >= topP * total) {
        break;
      }
    }
    double u = rnd.nextDouble() * mass;
    for (int i = 0; i < cut; i++) {
      u -= w[idx[i]];
      if (u < 0) {
        return idx[i];
      }
    }
    return idx[cut - 1];
  }
}
