package org.dpsynth.pe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dpsynth.privacy.GridGaussianMechanism;

/**
 * Sums per-user clipped vote vectors of one partition (docs/design.md, PE steps 2–4), in grid units.
 *
 * <p>Each record votes for its k nearest synthetic samples of its own label with weight 1/√k (a
 * record's vote vector has L2 norm 1). A user's vector is the sum over all of the user's records,
 * across all labels, scaled to L2 norm at most C − g/2·√N and rounded coordinate-wise to the grid
 * by {@link GridGaussianMechanism#quantizeNonZeros}, which guarantees norm at most C exactly. Sums
 * are exact longs: the result does not depend on the order of users or on the partitioning.
 *
 * <p>Users are buffered so that records of many users go through one blocked kernel call per
 * label.
 */
public final class VoteAccumulator {
  private final SyntheticIndex index;
  private final int k;
  private final NearestNeighbourKernel.Distance distance;
  private final GridGaussianMechanism grid;
  private final int chunkRecords;
  private final long[] sum;
  private final List<int[]> bufferedLabels = new ArrayList<>();
  private final List<float[][]> bufferedVectors = new ArrayList<>();
  private int bufferedRecords;
  private long users;

  public VoteAccumulator(SyntheticIndex index, int k, NearestNeighbourKernel.Distance distance,
      GridGaussianMechanism grid, int chunkRecords) {
    if (grid.dimension() != index.size()) {
      throw new IllegalArgumentException("grid mechanism dimension " + grid.dimension() + " != population " + index.size());
    }
    this.index = index;
    this.k = k;
    this.distance = distance;
    this.grid = grid;
    this.chunkRecords = chunkRecords;
    this.sum = new long[index.size()];
  }

  /** Adds one user's records: label index and unit embedding of each record. */
  public void addUser(int[] labels, float[][] vectors) {
    if (labels.length != vectors.length) {
      throw new IllegalArgumentException("labels and vectors differ in length");
    }
    bufferedLabels.add(labels);
    bufferedVectors.add(vectors);
    bufferedRecords += labels.length;
    users++;
    if (bufferedRecords >= chunkRecords) {
      flush();
    }
  }

  /** The partition's sum in grid units (length = population size). */
  public long[] finish() {
    flush();
    return sum;
  }

  public long users() {
    return users;
  }

  private void flush() {
    int nUsers = bufferedLabels.size();
    if (nUsers == 0) {
      return;
    }
    int dim = index.dim();
    // votes[u][r*k + i] = global sample id of the i-th nearest sample for record r of user u.
    int[][] votes = new int[nUsers][];
    for (int u = 0; u < nUsers; u++) {
      votes[u] = new int[bufferedLabels.get(u).length * k];
    }
    for (int l = 0; l < index.numLabels(); l++) {
      int count = 0;
      for (int[] ls : bufferedLabels) {
        for (int x : ls) {
          if (x == l) {
            count++;
          }
        }
      }
      if (count == 0) {
        continue;
      }
      float[] block = new float[count * dim];
      int[] owner = new int[count];
      int[] ownerRow = new int[count];
      int q = 0;
      for (int u = 0; u < nUsers; u++) {
        int[] ls = bufferedLabels.get(u);
        float[][] vs = bufferedVectors.get(u);
        for (int r = 0; r < ls.length; r++) {
          if (ls[r] == l) {
            if (vs[r].length != dim) {
              throw new IllegalStateException("private embedding has dimension " + vs[r].length + ", population " + dim);
            }
            System.arraycopy(vs[r], 0, block, q * dim, dim);
            owner[q] = u;
            ownerRow[q] = r;
            q++;
          }
        }
      }
      int[] out = new int[count * k];
      NearestNeighbourKernel.topK(block, count, index.packed(l), k, distance, out);
      for (int i = 0; i < count; i++) {
        int[] dst = votes[owner[i]];
        for (int j = 0; j < k; j++) {
          int local = out[i * k + j];
          dst[ownerRow[i] * k + j] = local < 0 ? -1 : index.id(l, local);
        }
      }
    }
    for (int u = 0; u < nUsers; u++) {
      addClipped(votes[u]);
    }
    bufferedLabels.clear();
    bufferedVectors.clear();
    bufferedRecords = 0;
  }

  /** Adds one user's clipped, rounded vote vector; its entries are (count of votes)/√k. */
  private void addClipped(int[] sampleIds) {
    int[] ids = Arrays.stream(sampleIds).filter(x -> x >= 0).sorted().toArray();
    if (ids.length == 0) {
      return;
    }
    // Run-length over the sorted ids gives each sample's vote count.
    int distinct = 0;
    long sumSq = 0;
    int[] uniq = new int[ids.length];
    int[] cnt = new int[ids.length];
    for (int i = 0; i < ids.length; ) {
      int j = i;
      while (j < ids.length && ids[j] == ids[i]) {
        j++;
      }
      uniq[distinct] = ids[i];
      cnt[distinct] = j - i;
      sumSq += (long) (j - i) * (j - i);
      distinct++;
      i = j;
    }
    double norm = Math.sqrt(sumSq / (double) k);
    double scale = Math.min(1.0, grid.clipBeforeRounding() / norm) / Math.sqrt(k);
    double[] values = new double[distinct];
    for (int i = 0; i < distinct; i++) {
      values[i] = cnt[i] * scale;
    }
    long[] units = grid.quantizeNonZeros(values);
    for (int i = 0; i < distinct; i++) {
      sum[uniq[i]] = Math.addExact(sum[uniq[i]], units[i]);
    }
  }

  /** Element-wise exact sum of two partition sums (for the tree aggregate). */
  public static long[] add(long[] a, long[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("histograms differ in length");
    }
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.addExact(a[i], b[i]);
    }
    return a;
  }
}
