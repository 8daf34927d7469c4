package org.dpsynth.pe;

/**
 * Top-k nearest synthetic samples for a block of private embeddings: blocked dot products and a
 * running top-k per query row. Plain Java so it can be tested and benchmarked without Spark.
 *
 * <p>Every (query, sample) score is accumulated in the same order whatever the blocking, and ties
 * go to the lower sample index, so the result depends only on the inputs: votes are the same on
 * any partitioning and on a retried task.
 */
public final class NearestNeighbourKernel {
  /** How similarity is scored; both assume nothing about norms. */
  public enum Distance {
    /** Highest dot product (cosine for unit vectors). */
    COSINE,
    /** Lowest squared Euclidean distance. */
    L2;

    public static Distance parse(String s) {
      return switch (s) {
        case "cosine" -> COSINE;
        case "l2" -> L2;
        default -> throw new IllegalArgumentException("distance: expected cosine or l2, got " + s);
      };
    }
  }

  private static final int QUERY_BLOCK = 4;
  private static final int SAMPLE_BLOCK = 256;

  private NearestNeighbourKernel() {}

  /**
   * For each of {@code nq} query rows (row-major in {@code queries}, {@code dim} wide) finds the
   * {@code k} best of {@code ns} sample rows, writing sample indices best-first into {@code
   * out[q*k .. q*k+k)}. When {@code ns < k} the remaining slots hold -1.
   *
   * @param sampleSqNorms squared norms of the samples (only read for L2; may be null for COSINE)
   */
  public static void topK(
      float[] queries, int nq, float[] samples, float[] sampleSqNorms, int ns, int dim, int k,
      Distance distance, int[] out) {
    float[] bestScore = new float[nq * k];
    java.util.Arrays.fill(bestScore, Float.NEGATIVE_INFINITY);
    java.util.Arrays.fill(out, 0, nq * k, -1);
    float[] scores = new float[QUERY_BLOCK * SAMPLE_BLOCK];
    boolean l2 = distance == Distance.L2;
    for (int s0 = 0; s0 < ns; s0 += SAMPLE_BLOCK) {
      int s1 = Math.min(ns, s0 + SAMPLE_BLOCK);
      int sw = s1 - s0;
      for (int q0 = 0; q0 < nq; q0 += QUERY_BLOCK) {
        int q1 = Math.min(nq, q0 + QUERY_BLOCK);
        dotBlock(queries, q0, q1, samples, s0, s1, dim, scores, sw);
        for (int q = q0; q < q1; q++) {
          int row = (q - q0) * sw;
          int base = q * k;
          for (int j = 0; j < sw; j++) {
            int s = s0 + j;
            // For L2, ||x - s||^2 = ||x||^2 - 2 x.s + ||s||^2; ||x||^2 is the same for every s.
            float score = l2 ? 2f * scores[row + j] - sampleSqNorms[s] : scores[row + j];
            if (score > bestScore[base + k - 1]) {
              insert(bestScore, out, base, k, score, s);
            }
          }
        }
      }
    }
  }

  /** Inserts (score, index) into the sorted top-k of one row; strict comparison keeps lower index on ties. */
  private static void insert(float[] best, int[] idx, int base, int k, float score, int index) {
    int pos = base + k - 1;
    while (pos > base && score > best[pos - 1]) {
      best[pos] = best[pos - 1];
      idx[pos] = idx[pos - 1];
      pos--;
    }
    best[pos] = score;
    idx[pos] = index;
  }

  /** scores[(q - q0) * sw + (s - s0)] = queries[q] . samples[s], four queries at a time. */
  private static void dotBlock(
      float[] x, int q0, int q1, float[] y, int s0, int s1, int dim, float[] scores, int sw) {
    int nqb = q1 - q0;
    if (nqb == QUERY_BLOCK) {
      int a0 = q0 * dim;
      int a1 = a0 + dim;
      int a2 = a1 + dim;
      int a3 = a2 + dim;
      for (int s = s0; s < s1; s++) {
        int b = s * dim;
        float d0 = 0f;
        float d1 = 0f;
        float d2 = 0f;
        float d3 = 0f;
        for (int i = 0; i < dim; i++) {
          float yi = y[b + i];
          d0 += x[a0 + i] * yi;
          d1 += x[a1 + i] * yi;
          d2 += x[a2 + i] * yi;
          d3 += x[a3 + i] * yi;
        }
        int j = s - s0;
        scores[j] = d0;
        scores[sw + j] = d1;
        scores[2 * sw + j] = d2;
        scores[3 * sw + j] = d3;
      }
    } else {
      for (int q = q0; q < q1; q++) {
        int a = q * dim;
        int row = (q - q0) * sw;
        for (int s = s0; s < s1; s++) {
          int b = s * dim;
          float d = 0f;
          for (int i = 0; i < dim; i++) {
            d += x[a + i] * y[b + i];
          }
          scores[row + s - s0] = d;
        }
      }
    }
  }
}
