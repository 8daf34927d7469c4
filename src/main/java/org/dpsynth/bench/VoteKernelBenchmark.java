package org.dpsynth.bench;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.dpsynth.pe.NearestNeighbourKernel;

/**
 * GFLOP/s of the PE vote kernel ({@link NearestNeighbourKernel#topK}: blocked dot products plus
 * top-k per private row) against native single-precision GEMM ({@code sgemm} of the system BLAS,
 * OpenBLAS, through Spark MLlib's {@code dev.ludovic.netlib} JNI binding) on the same shapes in the
 * same JVM, and a naive triple loop for scale. Both sides run on one thread (one Spark task per
 * core; the launcher sets {@code OPENBLAS_NUM_THREADS=1}). FLOPs are 2·nq·ns·dim for all three.
 *
 * <p>Measurements are interleaved (kernel, sgemm, kernel, sgemm, …) so that load from other
 * processes hits both alike; the ratio is the median of the per-round ratios, with min and max.
 *
 * <p>Usage: {@code VoteKernelBenchmark [--queries N] [--samples N] [--dim N] [--k N] [--rounds N]}.
 * Prints a table and, last, {@code vote_kernel_vs_sgemm=<median ratio>}.
 */
public final class VoteKernelBenchmark {
  private VoteKernelBenchmark() {}

  public static void main(String[] args) {
    int[] shape = parse(args);
    run(shape[0], shape[1], shape[2], shape[3], shape[4]);
  }

  private static int[] parse(String[] args) {
    BenchArgs a = new BenchArgs(args, "[--queries N] [--samples N] [--dim N] [--k N] [--rounds N]",
        "--queries", "--samples", "--dim", "--k", "--rounds");
    return new int[] {a.integer("--queries", 2048), a.integer("--samples", 1250), a.integer("--dim", 384), a.integer("--k", 4),
        a.integer("--rounds", 9)};
  }

  private static void run(int nq, int ns, int dim, int k, int rounds) {
    SplittableRandom rng = new SplittableRandom(42);
    float[] q = unitRows(rng, nq, dim);
    float[] s = unitRows(rng, ns, dim);
    double flops = 2.0 * nq * ns * dim;

    BLAS blas = NativeBLAS.getInstance();
    System.out.printf("shape: %d private rows x %d synthetic samples x %d dims, k=%d; 1 thread each; "
        + "BLAS=%s (%s); cores=%d; load average at start=%s%n", nq, ns, dim, k, blas.getClass().getSimpleName(),
        System.getProperty("dev.ludovic.netlib.blas.nativeLib", "libblas.so.3"),
        Runtime.getRuntime().availableProcessors(), loadAverage());

    NearestNeighbourKernel.PackedSamples packed = NearestNeighbourKernel.pack(s, null, ns, dim);
    int[] out = new int[nq * k];
    float[] c = new float[nq * ns];
    Runnable kernel = () -> NearestNeighbourKernel.topK(q, nq, packed, k, NearestNeighbourKernel.Distance.COSINE, out);
    // C^T (ns x nq, column-major) = S (row-major ns x dim, i.e. transposed column-major) x Q^T.
    Runnable sgemm = () -> blas.sgemm("T", "N", ns, nq, dim, 1f, s, dim, q, dim, 0f, c, ns);
    // The naive loop runs on a slice of the queries (it is slow); GFLOP/s is per its own FLOPs.
    int naiveRows = Math.max(1, Math.min(nq, 128));
    Runnable naive = () -> naiveTopK(q, naiveRows, s, ns, dim, k);
    double naiveFlops = 2.0 * naiveRows * ns * dim;

    // Warm-up: JIT for the kernel, thread pools and page faults for BLAS.
    for (int i = 0; i < 5; i++) {
      kernel.run();
      sgemm.run();
    }
    naive.run();
    naive.run();

    List<Double> kernelRates = new ArrayList<>();
    List<Double> sgemmRates = new ArrayList<>();
    List<Double> naiveRates = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      double kg = flops / bestOf(3, kernel) / 1e9;
      double sg = flops / bestOf(3, sgemm) / 1e9;
      kernelRates.add(kg);
      sgemmRates.add(sg);
      ratios.add(kg / sg);
      if (r % 3 == 0) {
        naiveRates.add(naiveFlops / bestOf(1, naive) / 1e9);
      }
    }
    System.out.println();
    System.out.printf("%-44s %10s %10s %10s%n", "GFLOP/s (1 thread)", "median", "min", "max");
    row("vote kernel (blocked dot + top-k, Vector API)", kernelRates);
    row("native sgemm (OpenBLAS via netlib JNI)", sgemmRates);
    row("naive triple loop + top-k", naiveRates);
    row("ratio kernel / sgemm (per round)", ratios);
    System.out.printf(Locale.ROOT, "rounds=%d, load average at end=%s%n", rounds, loadAverage());
    System.out.printf(Locale.ROOT, "vote_kernel_vs_naive=%.2f%n", median(kernelRates) / median(naiveRates));
    System.out.printf(Locale.ROOT, "vote_kernel_vs_sgemm=%.3f%n", median(ratios));
  }

  private static void row(String name, List<Double> v) {
    System.out.printf(Locale.ROOT, "%-44s %10.2f %10.2f %10.2f%n", name, median(v), min(v), max(v));
  }

  /** Fastest of {@code n} runs, in seconds (the least disturbed by other processes). */
  private static double bestOf(int n, Runnable r) {
    double best = Double.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      r.run();
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return best;
  }

  /** The textbook version: one dot product at a time, then a linear top-k insert. */
  static int[] naiveTopK(float[] q, int nq, float[] s, int ns, int dim, int k) {
    int[] out = new int[nq * k];
    float[] best = new float[k];
    for (int r = 0; r < nq; r++) {
      Arrays.fill(best, Float.NEGATIVE_INFINITY);
      for (int j = 0; j < ns; j++) {
        float d = 0f;
        for (int i = 0; i < dim; i++) {
          d += q[r * dim + i] * s[j * dim + i];
        }
        int pos = k - 1;
        if (d > best[pos]) {
          while (pos > 0 && d > best[pos - 1]) {
            best[pos] = best[pos - 1];
            out[r * k + pos] = out[r * k + pos - 1];
            pos--;
          }
          best[pos] = d;
          out[r * k + pos] = j;
        }
      }
    }
    return out;
  }

  static float[] unitRows(SplittableRandom rng, int n, int dim) {
    float[] x = new float[n * dim];
    for (int r = 0; r < n; r++) {
      double norm = 0;
      for (int i = 0; i < dim; i++) {
        double g = rng.nextDouble() * 2 - 1;
        x[r * dim + i] = (float) g;
        norm += g * g;
      }
      float inv = (float) (1 / Math.sqrt(norm));
      for (int i = 0; i < dim; i++) {
        x[r * dim + i] *= inv;
      }
    }
    return x;
  }

  static String loadAverage() {
    try {
      String[] f = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg"))).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException | RuntimeException e) {
      return "n/a";
    }
  }

  static double median(List<Double> v) {
    double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  static double min(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  static double max(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }
}
