package org.dpsynth.pe;

import java.io.Serializable;

/**
 * The embeddings of the current synthetic population grouped by label, as dense row-major
 * matrices, ready to be broadcast to executors. Holds only public (synthetic) data.
 */
public final class SyntheticIndex implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int size;
  private final int dim;
  private final int[][] idsByLabel;
  private final float[][] matrixByLabel;
  private final float[][] sqNormsByLabel;
  /** Kernel layout of each label's matrix, built on first use in each JVM (not serialised). */
  private transient volatile NearestNeighbourKernel.PackedSamples[] packedByLabel;

  private SyntheticIndex(int size, int dim, int[][] ids, float[][] matrix, float[][] sqNorms) {
    this.size = size;
    this.dim = dim;
    this.idsByLabel = ids;
    this.matrixByLabel = matrix;
    this.sqNormsByLabel = sqNorms;
  }

  /**
   * Builds the index from one embedding per sample and each sample's label index.
   *
   * @param numLabels number of labels (label indices are 0..numLabels-1)
   */
  public static SyntheticIndex build(float[][] embeddings, int[] labels, int numLabels) {
    if (embeddings.length != labels.length) {
      throw new IllegalArgumentException("embeddings and labels differ in length");
    }
    int dim = embeddings.length == 0 ? 0 : embeddings[0].length;
    int[] counts = new int[numLabels];
    for (int l : labels) {
      counts[l]++;
    }
    int[][] ids = new int[numLabels][];
    float[][] matrix = new float[numLabels][];
    float[][] sq = new float[numLabels][];
    for (int l = 0; l < numLabels; l++) {
      ids[l] = new int[counts[l]];
      matrix[l] = new float[counts[l] * dim];
      sq[l] = new float[counts[l]];
    }
    int[] fill = new int[numLabels];
    for (int j = 0; j < embeddings.length; j++) {
      float[] e = embeddings[j];
      if (e.length != dim) {
        throw new IllegalArgumentException("sample " + j + " has dimension " + e.length + ", expected " + dim);
      }
      int l = labels[j];
      int r = fill[l]++;
      ids[l][r] = j;
      System.arraycopy(e, 0, matrix[l], r * dim, dim);
      float s = 0f;
      for (float v : e) {
        s += v * v;
      }
      sq[l][r] = s;
    }
    return new SyntheticIndex(embeddings.length, dim, ids, matrix, sq);
  }

  /** Number of samples in the population (length of the vote histogram). */
  public int size() {
    return size;
  }

  public int dim() {
    return dim;
  }

  public int numLabels() {
    return idsByLabel.length;
  }

  /** Number of samples with label {@code l}. */
  public int countOf(int l) {
    return idsByLabel[l].length;
  }

  /** Global sample index of row {@code r} of label {@code l}. */
  int id(int l, int r) {
    return idsByLabel[l][r];
  }

  float[] matrix(int l) {
    return matrixByLabel[l];
  }

  float[] sqNorms(int l) {
    return sqNormsByLabel[l];
  }

  /** Label {@code l}'s samples packed for {@link NearestNeighbourKernel}, packed once per JVM. */
  NearestNeighbourKernel.PackedSamples packed(int l) {
    NearestNeighbourKernel.PackedSamples[] p = packedByLabel;
    if (p == null) {
      synchronized (this) {
        p = packedByLabel;
        if (p == null) {
          p = new NearestNeighbourKernel.PackedSamples[idsByLabel.length];
          for (int i = 0; i < p.length; i++) {
            p[i] = NearestNeighbourKernel.pack(matrixByLabel[i], sqNormsByLabel[i], idsByLabel[i].length, dim);
          }
          packedByLabel = p;
        }
      }
    }
    return p[l];
  }
}
