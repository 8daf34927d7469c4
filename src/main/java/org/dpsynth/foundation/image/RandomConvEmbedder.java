package org.dpsynth.foundation.image;

import java.util.List;
import java.util.SplittableRandom;
import org.dpsynth.foundation.Embedder;

/**
 * An image embedder whose weights come with the code: a fixed bank of seeded random 5×5
 * convolution filters (zero-mean, unit norm) with ReLU, average-pooled over a 4×4 grid of the
 * image, next to a 7×7 grid of mean intensities; the vector is L2-normalised. Random convolutional
 * features are a classic no-training baseline (Jarrett et al. 2009; Saxe et al. 2011): they keep
 * shape and texture well enough for nearest-neighbour votes between images of one small domain
 * (Fashion-MNIST), but they know nothing of semantics: use a real image model (an ONNX export of
 * CLIP or Inception, {@code embedder.type: onnx-image}) for photos.
 *
 * <p>Any image size works (pooling is over a fixed grid); payloads are base64 PNGs. Deterministic:
 * the filters are drawn from a fixed seed, so every JVM computes identical vectors. Thread-safe
 * (immutable).
 */
public final class RandomConvEmbedder implements Embedder {
  /** The filter seed: part of the model, never configuration. */
  static final long SEED = 0x5EED_1A6E_0017L;
  static final int FILTERS = 32;
  static final int K = 5;
  static final int GRID = 4;
  static final int COARSE = 7;
  /** Weight of the coarse intensity block relative to the filter block (both unit-norm before weighting). */
  static final float COARSE_WEIGHT = 0.5f;

  private static final RandomConvEmbedder SHARED = new RandomConvEmbedder();
  private final float[][] filters = new float[FILTERS][K * K];

  private RandomConvEmbedder() {
    SplittableRandom rng = new SplittableRandom(SEED);
    for (float[] f : filters) {
      double mean = 0;
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) rng.nextGaussian();
        mean += f[i];
      }
      mean /= f.length;
      double norm = 0;
      for (int i = 0; i < f.length; i++) {
        f[i] -= (float) mean;
        norm += f[i] * f[i];
      }
      float inv = (float) (1 / Math.sqrt(norm));
      for (int i = 0; i < f.length; i++) {
        f[i] *= inv;
      }
    }
  }

  /** The one instance (it has no settings). */
  public static RandomConvEmbedder shared() {
    return SHARED;
  }

  @Override
  public int dimension() {
    return FILTERS * GRID * GRID + COARSE * COARSE;
  }

  @Override
  public Embeddings embed(List<String> payloads) {
    float[][] out = new float[payloads.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = embed(GrayImage.ofPayload(payloads.get(i)));
    }
    return new Embeddings(out, 0);
  }

  /** The unit vector of one image. */
  public float[] embed(GrayImage img) {
    int w = img.width();
    int h = img.height();
    int ow = Math.max(1, w - K + 1);
    int oh = Math.max(1, h - K + 1);
    float[] v = new float[dimension()];
    int[] cellCount = new int[GRID * GRID];
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        cellCount[(y * GRID / oh) * GRID + x * GRID / ow]++;
      }
    }
    float[] patch = new float[K * K];
    for (int y = 0; y < oh; y++) {
      int cy = y * GRID / oh;
      for (int x = 0; x < ow; x++) {
        int cell = cy * GRID + x * GRID / ow;
        for (int dy = 0; dy < K; dy++) {
          for (int dx = 0; dx < K; dx++) {
            int sx = Math.min(w - 1, x + dx);
            int sy = Math.min(h - 1, y + dy);
            patch[dy * K + dx] = img.pixels()[sy * w + sx];
          }
        }
        for (int f = 0; f < FILTERS; f++) {
          float[] flt = filters[f];
          float s = 0;
          for (int i = 0; i < patch.length; i++) {
            s += flt[i] * patch[i];
          }
          if (s > 0) {
            v[f * GRID * GRID + cell] += s;
          }
        }
      }
    }
    int conv = FILTERS * GRID * GRID;
    for (int f = 0; f < FILTERS; f++) {
      for (int c = 0; c < GRID * GRID; c++) {
        v[f * GRID * GRID + c] /= Math.max(1, cellCount[c]);
      }
    }
    int[] coarseCount = new int[COARSE * COARSE];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int c = (y * COARSE / h) * COARSE + x * COARSE / w;
        v[conv + c] += img.pixels()[y * w + x];
        coarseCount[c]++;
      }
    }
    for (int c = 0; c < COARSE * COARSE; c++) {
      v[conv + c] /= Math.max(1, coarseCount[c]);
    }
    scale(v, 0, conv, 1f);
    scale(v, conv, v.length, COARSE_WEIGHT);
    scale(v, 0, v.length, 1f);
    if (v[conv] == 0 && isZero(v)) {
      v[conv] = 1f; // an all-black image: a fixed unit vector, so every output has norm 1
    }
    return v;
  }

  private static boolean isZero(float[] v) {
    for (float x : v) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  /** Scales v[from, to) to L2 norm {@code target} (a zero block stays zero). */
  private static void scale(float[] v, int from, int to, float target) {
    double n = 0;
    for (int i = from; i < to; i++) {
      n += (double) v[i] * v[i];
    }
    if (n == 0) {
      return;
    }
    float k = (float) (target / Math.sqrt(n));
    for (int i = from; i < to; i++) {
      v[i] *= k;
    }
  }
}
