package org.dpsynth.pe;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Top-k nearest synthetic samples for a block of private embeddings: a register-blocked
 * matrix-product micro-kernel (GotoBLAS/BLIS layout: samples packed as k-major panels of
 * {@link #NR} columns, queries as k-major panels of {@link #MR} rows, {@code MR × NR} accumulators
 * held in vector registers through the JDK Vector API) and a running top-k per query row. Plain
 * Java so it can be tested and benchmarked without Spark.
 *
 * <p>Determinism: every (query, sample) score is one fused multiply-add chain over the dimensions
 * in index order, {@code d = fma(x[i], y[i], d)} for i = 0..dim-1, whatever the block, lane or
 * padding position (an FMA is exactly rounded, so a vector lane and {@link Math#fma} agree), and
 * ties go to the lower sample index. The result depends only on the inputs: votes are the same on
 * any partitioning, batch composition and retried task, and on any vector width.
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

  /**
   * The widest vector shape the CPU runs natively (512 bits with AVX-512, 256 with AVX2, 128 with
   * NEON). A fixed 256-bit shape left half of an AVX-512 core idle (0.38 of sgemm instead of
   * above 1); a fixed 512-bit shape would not be compiled to vector code on AVX2-only hosts.
   */
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /**
   * Query rows per micro-kernel call: 8 rows × 2 vectors = 16 accumulators (10 vector loads per 16
   * FMAs). Measured on AVX-512 (Zen 5), 2048 × 10000 × 384, top-1: 6 × 2 ran at ~170 GFLOP/s, 8 × 2
   * at ~190, 7 × 2, 10 × 2 and 12 × 2 at 90–135 (docs/performance.md, "Side by side with the Python peers").
   */
  static final int MR = 8;
  /**
   * Bytes of sample panels per block: a block stays in the core's L2 (1 MB on Zen 5) while every
   * query panel passes over it, so each query panel (MR × dim floats) is read once per block and
   * stays in L1 across the block's panels.
   */
  private static final int SAMPLE_BLOCK_BYTES = 512 * 1024;
  /** Sample columns per micro-kernel call: two vectors. */
  static final int NR = 2 * LANES;

  private NearestNeighbourKernel() {}

  /**
   * Samples packed for {@link #topK(float[], int, PackedSamples, int, Distance, int[])}: panel p
   * holds samples p·NR .. p·NR+NR-1 as {@code dim} consecutive groups of NR floats (zero padded).
   * Immutable; pack once, use from any thread.
   */
  public static final class PackedSamples {
    final float[] panels;
    final float[] sqNorms;
    final int ns;
    final int dim;

    private PackedSamples(float[] panels, float[] sqNorms, int ns, int dim) {
      this.panels = panels;
      this.sqNorms = sqNorms;
      this.ns = ns;
      this.dim = dim;
    }

    public int size() {
      return ns;
    }
  }

  /**
   * Packs {@code ns} row-major sample rows of width {@code dim}.
   *
   * @param sampleSqNorms squared norms of the samples (read for L2 only; may be null for COSINE)
   */
  public static PackedSamples pack(float[] samples, float[] sampleSqNorms, int ns, int dim) {
    int panels = (ns + NR - 1) / NR;
    float[] p = new float[panels * NR * dim];
    for (int s = 0; s < ns; s++) {
      int base = (s / NR) * NR * dim + (s % NR);
      int src = s * dim;
      for (int i = 0; i < dim; i++) {
        p[base + i * NR] = samples[src + i];
      }
    }
    float[] sq = new float[panels * NR];
    if (sampleSqNorms != null) {
      System.arraycopy(sampleSqNorms, 0, sq, 0, ns);
    }
    return new PackedSamples(p, sq, ns, dim);
  }

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
    topK(queries, nq, pack(samples, sampleSqNorms, ns, dim), k, distance, out);
  }

  /** As {@link #topK(float[], int, float[], float[], int, int, int, Distance, int[])}, on packed samples. */
  public static void topK(float[] queries, int nq, PackedSamples packed, int k, Distance distance, int[] out) {
    int dim = packed.dim;
    int ns = packed.ns;
    float[] best = new float[nq * k];
    Arrays.fill(best, Float.NEGATIVE_INFINITY);
    Arrays.fill(out, 0, nq * k, -1);
    if (nq == 0 || ns == 0 || k == 0) {
      return;
    }
    boolean l2 = distance == Distance.L2;
    // Query panels: MR rows interleaved per dimension, zero padded (padding rows are never read back).
    int qPanels = (nq + MR - 1) / MR;
    float[] a = new float[qPanels * MR * dim];
    for (int q = 0; q < nq; q++) {
      int base = (q / MR) * MR * dim + (q % MR);
      int src = q * dim;
      for (int i = 0; i < dim; i++) {
        a[base + i * MR] = queries[src + i];
      }
    }
    float[] tile = new float[MR * NR];
    float[] rowMax = new float[MR];
    // Scores: cosine = dot; L2 = 2·dot − ||s||² (||x − s||² = ||x||² − 2 x·s + ||s||², and ||x||² is
    // the same for every s), so "higher is better" for both and the row filter below serves both.
    float scale = l2 ? 2f : 1f;
    float[] bias = l2 ? packed.sqNorms : new float[packed.sqNorms.length];
    int sPanels = (ns + NR - 1) / NR;
    int sBlockPanels = Math.max(1, SAMPLE_BLOCK_BYTES / (NR * dim * Float.BYTES));
    // Samples are visited in index order for every query row (blocks, panels, columns ascending),
    // so the strict comparisons keep the lower index on ties whatever the blocking.
    for (int sb = 0; sb < sPanels; sb += sBlockPanels) {
      int sbEnd = Math.min(sPanels, sb + sBlockPanels);
      for (int qp = 0; qp < qPanels; qp++) {
        int q0 = qp * MR;
        int rows = Math.min(MR, nq - q0);
        for (int sp = sb; sp < sbEnd; sp++) {
          int s0 = sp * NR;
          microKernel(a, qp * MR * dim, packed.panels, s0 * dim, dim, bias, s0, scale, tile, rowMax);
          int sw = Math.min(NR, ns - s0);
          for (int r = 0; r < rows; r++) {
            int base = (q0 + r) * k;
            // Padding columns score 0 and can only let a row through this filter, never be taken.
            if (!(rowMax[r] > best[base + k - 1])) {
              continue;
            }
            int t = r * NR;
            for (int j = 0; j < sw; j++) {
              float score = tile[t + j];
              if (score > best[base + k - 1]) {
                insert(best, out, base, k, score, s0 + j);
              }
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

  /**
   * tile[r·NR + j] = scale · Σ_i a[aOff + i·MR + r] · b[bOff + i·NR + j] − bias[biasOff + j], the
   * sum one FMA chain in i order: the MR × NR scores of one query panel and one sample panel, in
   * 16 vector accumulators (8 rows × 2 vectors); rowMax[r] = the largest of row r's NR scores. With
   * scale 1 and bias 0 (cosine) the score is the dot product bit for bit; with scale 2 and bias the
   * squared sample norms (L2) it is {@code 2f * dot - sqNorm}, as the scalar formula rounds it (the
   * multiplication by 2 is exact, the subtraction rounds once). All vector work stays in this one
   * method, so it is compiled as a unit (a separate small vector helper was sometimes left to a
   * slower compilation tier and halved the kernel's speed).
   */
  private static void microKernel(float[] a, int aOff, float[] b, int bOff, int dim, float[] bias, int biasOff,
      float scale, float[] tile, float[] rowMax) {
    FloatVector z = FloatVector.zero(SPECIES);
    FloatVector c00 = z;
    FloatVector c01 = z;
    FloatVector c10 = z;
    FloatVector c11 = z;
    FloatVector c20 = z;
    FloatVector c21 = z;
    FloatVector c30 = z;
    FloatVector c31 = z;
    FloatVector c40 = z;
    FloatVector c41 = z;
    FloatVector c50 = z;
    FloatVector c51 = z;
    FloatVector c60 = z;
    FloatVector c61 = z;
    FloatVector c70 = z;
    FloatVector c71 = z;
    int ai = aOff;
    int bi = bOff;
    for (int i = 0; i < dim; i++, ai += MR, bi += NR) {
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + LANES);
      FloatVector x = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(SPECIES, a[ai + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(SPECIES, a[ai + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      x = FloatVector.broadcast(SPECIES, a[ai + 6]);
      c60 = x.fma(b0, c60);
      c61 = x.fma(b1, c61);
      x = FloatVector.broadcast(SPECIES, a[ai + 7]);
      c70 = x.fma(b0, c70);
      c71 = x.fma(b1, c71);
    }
    FloatVector d0 = FloatVector.fromArray(SPECIES, bias, biasOff);
    FloatVector d1 = FloatVector.fromArray(SPECIES, bias, biasOff + LANES);
    c00 = c00.mul(scale).sub(d0);
    c01 = c01.mul(scale).sub(d1);
    c00.intoArray(tile, 0);
    c01.intoArray(tile, LANES);
    rowMax[0] = c00.max(c01).reduceLanes(VectorOperators.MAX);
    c10 = c10.mul(scale).sub(d0);
    c11 = c11.mul(scale).sub(d1);
    c10.intoArray(tile, NR);
    c11.intoArray(tile, NR + LANES);
    rowMax[1] = c10.max(c11).reduceLanes(VectorOperators.MAX);
    c20 = c20.mul(scale).sub(d0);
    c21 = c21.mul(scale).sub(d1);
    c20.intoArray(tile, 2 * NR);
    c21.intoArray(tile, 2 * NR + LANES);
    rowMax[2] = c20.max(c21).reduceLanes(VectorOperators.MAX);
    c30 = c30.mul(scale).sub(d0);
    c31 = c31.mul(scale).sub(d1);
    c30.intoArray(tile, 3 * NR);
    c31.intoArray(tile, 3 * NR + LANES);
    rowMax[3] = c30.max(c31).reduceLanes(VectorOperators.MAX);
    c40 = c40.mul(scale).sub(d0);
    c41 = c41.mul(scale).sub(d1);
    c40.intoArray(tile, 4 * NR);
    c41.intoArray(tile, 4 * NR + LANES);
    rowMax[4] = c40.max(c41).reduceLanes(VectorOperators.MAX);
    c50 = c50.mul(scale).sub(d0);
    c51 = c51.mul(scale).sub(d1);
    c50.intoArray(tile, 5 * NR);
    c51.intoArray(tile, 5 * NR + LANES);
    rowMax[5] = c50.max(c51).reduceLanes(VectorOperators.MAX);
    c60 = c60.mul(scale).sub(d0);
    c61 = c61.mul(scale).sub(d1);
    c60.intoArray(tile, 6 * NR);
    c61.intoArray(tile, 6 * NR + LANES);
    rowMax[6] = c60.max(c61).reduceLanes(VectorOperators.MAX);
    c70 = c70.mul(scale).sub(d0);
    c71 = c71.mul(scale).sub(d1);
    c70.intoArray(tile, 7 * NR);
    c71.intoArray(tile, 7 * NR + LANES);
    rowMax[7] = c70.max(c71).reduceLanes(VectorOperators.MAX);
  }

  /** The score definition spelled out for one pair (tests and the reference path use it). */
  static float dot(float[] x, int xOff, float[] y, int yOff, int dim) {
    float d = 0f;
    for (int i = 0; i < dim; i++) {
      d = Math.fma(x[xOff + i], y[yOff + i], d);
    }
    return d;
  }
}
