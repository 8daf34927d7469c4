package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NearestNeighbourKernelTest {

  @ParameterizedTest
  @CsvSource({"COSINE,1,37,300,17", "COSINE,3,64,513,48", "L2,1,37,300,17", "L2,5,9,1000,384", "COSINE,4,3,2,8"})
  void matchesADoublePrecisionReference(NearestNeighbourKernel.Distance d, int k, int nq, int ns, int dim) {
    SplittableRandom rng = new SplittableRandom(nq * 31L + ns);
    float[] q = randomUnitRows(rng, nq, dim);
    float[] s = randomRows(rng, ns, dim, d == NearestNeighbourKernel.Distance.L2);
    float[] sq = new float[ns];
    for (int j = 0; j < ns; j++) {
      for (int i = 0; i < dim; i++) {
        sq[j] += s[j * dim + i] * s[j * dim + i];
      }
    }
    int[] out = new int[nq * k];
    NearestNeighbourKernel.topK(q, nq, s, sq, ns, dim, k, d, out);
    for (int r = 0; r < nq; r++) {
      final int row = r;
      double[] score = new double[ns];
      for (int j = 0; j < ns; j++) {
        double dot = 0;
        double dist = 0;
        for (int i = 0; i < dim; i++) {
          double a = q[row * dim + i];
          double b = s[j * dim + i];
          dot += a * b;
          dist += (a - b) * (a - b);
        }
        score[j] = d == NearestNeighbourKernel.Distance.COSINE ? dot : -dist;
      }
      Integer[] order = new Integer[ns];
      for (int j = 0; j < ns; j++) {
        order[j] = j;
      }
      Arrays.sort(order, Comparator.comparingDouble((Integer j) -> -score[j]));
      for (int i = 0; i < Math.min(k, ns); i++) {
        int got = out[row * k + i];
        // float and double scores may swap near-ties; the chosen sample must score the same.
        assertEquals(score[order[i]], score[got], 1e-5, "row " + row + " rank " + i);
      }
      for (int i = ns; i < k; i++) {
        assertEquals(-1, out[row * k + i], "missing neighbours are -1");
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"COSINE", "L2"})
  void tiesGoToTheLowerIndexAndBlockingDoesNotChangeTheResult(NearestNeighbourKernel.Distance d) {
    int dim = 8;
    int ns = 600; // crosses the sample block boundary
    float[] s = new float[ns * dim];
    for (int j = 0; j < ns; j++) {
      s[j * dim + (j % dim)] = 1f; // sample j equals sample j + dim
    }
    float[] sq = new float[ns];
    Arrays.fill(sq, 1f);
    float[] q = new float[5 * dim];
    for (int r = 0; r < 5; r++) {
      q[r * dim + r] = 1f;
    }
    int[] out = new int[5 * 2];
    NearestNeighbourKernel.topK(q, 5, s, sq, ns, dim, 2, d, out);
    for (int r = 0; r < 5; r++) {
      assertArrayEquals(new int[] {r, r + dim}, new int[] {out[r * 2], out[r * 2 + 1]});
    }
    // The same queries one at a time (other block shapes) give the same answer.
    for (int r = 0; r < 5; r++) {
      int[] one = new int[2];
      NearestNeighbourKernel.topK(Arrays.copyOfRange(q, r * dim, r * dim + dim), 1, s, sq, ns, dim, 2, d, one);
      assertArrayEquals(new int[] {out[r * 2], out[r * 2 + 1]}, one);
    }
  }

  /**
   * The kernel's scores are exactly the scalar FMA chain of {@link NearestNeighbourKernel#dot}, so
   * its top-k equals a plain scalar top-k bit for bit, and a query's answer does not depend on which
   * other queries share its batch or where it sits in the batch (padding, panel and block position).
   */
  @ParameterizedTest
  @CsvSource({"COSINE,5,200,1337,384", "L2,3,61,77,33", "COSINE,1,13,5,7", "L2,10,300,2100,384"})
  void exactlyTheScalarFmaChainWhateverTheBatchComposition(NearestNeighbourKernel.Distance d, int k, int nq, int ns,
      int dim) {
    SplittableRandom rng = new SplittableRandom(ns * 7919L + nq);
    float[] q = randomUnitRows(rng, nq, dim);
    float[] s = randomRows(rng, ns, dim, d == NearestNeighbourKernel.Distance.L2);
    // Duplicate some samples so exact ties occur and must go to the lower index.
    for (int j = 1; j < ns; j += 11) {
      System.arraycopy(s, (j - 1) * dim, s, j * dim, dim);
    }
    float[] sq = new float[ns];
    for (int j = 0; j < ns; j++) {
      sq[j] = NearestNeighbourKernel.dot(s, j * dim, s, j * dim, dim);
    }
    int[] all = new int[nq * k];
    NearestNeighbourKernel.topK(q, nq, s, sq, ns, dim, k, d, all);
    for (int r = 0; r < nq; r++) {
      float[] score = new float[ns];
      for (int j = 0; j < ns; j++) {
        float dot = NearestNeighbourKernel.dot(q, r * dim, s, j * dim, dim);
        score[j] = d == NearestNeighbourKernel.Distance.COSINE ? dot : 2f * dot - sq[j];
      }
      Integer[] order = new Integer[ns];
      for (int j = 0; j < ns; j++) {
        order[j] = j;
      }
      // Stable sort: equal scores keep ascending index.
      Arrays.sort(order, (a, b) -> Float.compare(score[b], score[a]));
      for (int i = 0; i < k; i++) {
        assertEquals(i < ns ? order[i] : -1, all[r * k + i], "row " + r + " rank " + i);
      }
    }
    // Random sub-batches in shuffled order: each query's answer is unchanged.
    NearestNeighbourKernel.PackedSamples packed = NearestNeighbourKernel.pack(s, sq, ns, dim);
    int[] perm = new int[nq];
    for (int i = 0; i < nq; i++) {
      perm[i] = i;
    }
    for (int i = nq - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    for (int from = 0; from < nq; ) {
      int len = Math.min(nq - from, 1 + rng.nextInt(17));
      float[] sub = new float[len * dim];
      for (int i = 0; i < len; i++) {
        System.arraycopy(q, perm[from + i] * dim, sub, i * dim, dim);
      }
      int[] got = new int[len * k];
      NearestNeighbourKernel.topK(sub, len, packed, k, d, got);
      for (int i = 0; i < len; i++) {
        int row = perm[from + i];
        assertArrayEquals(Arrays.copyOfRange(all, row * k, row * k + k), Arrays.copyOfRange(got, i * k, i * k + k),
            "query " + row + " in a batch of " + len);
      }
      from += len;
    }
  }

  static float[] randomUnitRows(SplittableRandom rng, int n, int dim) {
    float[] x = randomRows(rng, n, dim, false);
    for (int r = 0; r < n; r++) {
      double norm = 0;
      for (int i = 0; i < dim; i++) {
        norm += x[r * dim + i] * x[r * dim + i];
      }
      for (int i = 0; i < dim; i++) {
        x[r * dim + i] /= (float) Math.sqrt(norm);
      }
    }
    return x;
  }

  static float[] randomRows(SplittableRandom rng, int n, int dim, boolean scaled) {
    float[] x = new float[n * dim];
    for (int r = 0; r < n; r++) {
      double scale = scaled ? 0.5 + rng.nextDouble() : 1.0;
      for (int i = 0; i < dim; i++) {
        x[r * dim + i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
      }
    }
    return x;
  }
}
