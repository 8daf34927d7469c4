package org.dpsynth.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.dpsynth.pe.NearestNeighbourKernel;

/**
 * The Java half of {@code submit/bench.sh peers}: dpsynth's vote kernel on the shape of the
 * issue (100k private × 10k synthetic × 384, k = 1, cosine and L2), single-threaded, on a data set that
 * the Python peers ({@code submit/bench/peers.py}: faiss {@code IndexFlatIP}/{@code IndexFlatL2},
 * scikit-learn brute force) then read from the same files.
 *
 * <p>Writes into {@code --dir}: {@code private.f32} and {@code synthetic.f32} (row-major raw
 * little-endian float32, seeded random unit vectors), {@code shape.txt} ({@code "n m dim"}),
 * {@code dpsynth.i32} (each private row's nearest synthetic index, little-endian int32) and
 * {@code dpsynth.txt} (one line per timed pass: seconds), both for cosine, and the same for L2 in
 * {@code dpsynth_l2.i32} and {@code dpsynth_l2.txt}. A pass is what a vote task does: the
 * private rows in chunks of {@link #JOB_CHUNK} records (the chunk of {@code VoteJob}), each chunk
 * one {@link NearestNeighbourKernel#topK} call against samples packed once (packing, like faiss'
 * {@code add} and scikit-learn's {@code fit}, is timed separately and not in the pass).
 *
 * <p>Usage: {@code PeersBenchmark --dir DIR [--private N] [--synthetic M] [--dim D] [--repeats R] [--seed S]}.
 */
public final class PeersBenchmark {
  /** Records per kernel call in the Spark job ({@code VoteJob} builds its accumulator with 2048). */
  static final int JOB_CHUNK = 2048;

  private PeersBenchmark() {}

  public static void main(String[] args) throws IOException {
    BenchArgs a = new BenchArgs(args, "--dir DIR [--private N] [--synthetic M] [--dim D] [--repeats R] [--seed S]",
        "--dir", "--private", "--synthetic", "--dim", "--repeats", "--seed");
    Path dir = a.text("--dir", null) == null ? null : Path.of(a.text("--dir", null));
    int n = a.integer("--private", 100_000);
    int m = a.integer("--synthetic", 10_000);
    int dim = a.integer("--dim", 384);
    int repeats = a.integer("--repeats", 3);
    long seed = a.longValue("--seed", 19);
    if (dir == null) {
      throw new IllegalArgumentException("--dir DIR is required");
    }
    run(dir, n, m, dim, repeats, seed);
  }

  static void run(Path dir, int n, int m, int dim, int repeats, long seed) throws IOException {
    Files.createDirectories(dir);
    SplittableRandom rng = new SplittableRandom(seed);
    float[] q = VoteKernelBenchmark.unitRows(rng, n, dim);
    float[] s = VoteKernelBenchmark.unitRows(rng, m, dim);
    writeFloats(dir.resolve("private.f32"), q);
    writeFloats(dir.resolve("synthetic.f32"), s);
    Files.writeString(dir.resolve("shape.txt"), n + " " + m + " " + dim + "\n", StandardCharsets.US_ASCII);
    // Measure on what was written: the kernel reads the same bytes the peers read.
    q = readFloats(dir.resolve("private.f32"), (long) n * dim);
    s = readFloats(dir.resolve("synthetic.f32"), (long) m * dim);

    double flops = 2.0 * n * m * dim;
    System.out.printf(Locale.ROOT, "dpsynth: %d private x %d synthetic x %d dims, k=1, cosine and l2, 1 thread, chunks of %d; "
        + "load average at start=%s%n", n, m, dim, JOB_CHUNK, VoteKernelBenchmark.loadAverage());
    long t0 = System.nanoTime();
    // As SyntheticIndex packs a label's samples: with their squared norms (read by L2 only).
    NearestNeighbourKernel.PackedSamples packed = NearestNeighbourKernel.pack(s, sqNorms(s, m, dim), m, dim);
    double packSeconds = (System.nanoTime() - t0) / 1e9;

    NearestNeighbourKernel.Distance[] distances = {NearestNeighbourKernel.Distance.COSINE, NearestNeighbourKernel.Distance.L2};
    int[][] nearest = new int[distances.length][n];
    // Warm-up on a slice (JIT): a long-running executor has compiled the kernel long before.
    int warmRows = Math.min(n, 4 * JOB_CHUNK);
    for (int i = 0; i < 3; i++) {
      for (int d = 0; d < distances.length; d++) {
        pass(q, warmRows, dim, packed, distances[d], nearest[d]);
      }
    }
    // Passes alternate between the two distances so that outside load hits both alike.
    List<List<Double>> seconds = List.of(new ArrayList<>(), new ArrayList<>());
    for (int r = 0; r < repeats; r++) {
      for (int d = 0; d < distances.length; d++) {
        long start = System.nanoTime();
        pass(q, n, dim, packed, distances[d], nearest[d]);
        double sec = (System.nanoTime() - start) / 1e9;
        seconds.get(d).add(sec);
        System.out.printf(Locale.ROOT, "dpsynth %s pass %d: %.3f s, %.1f GFLOP/s%n", key(distances[d]), r + 1, sec,
            flops / sec / 1e9);
      }
    }
    for (int d = 0; d < distances.length; d++) {
      String suffix = d == 0 ? "" : "_" + key(distances[d]);
      writeInts(dir.resolve("dpsynth" + suffix + ".i32"), nearest[d]);
      StringBuilder sb = new StringBuilder();
      for (double sec : seconds.get(d)) {
        sb.append(String.format(Locale.ROOT, "%.6f%n", sec));
      }
      Files.writeString(dir.resolve("dpsynth" + suffix + ".txt"), sb.toString(), StandardCharsets.US_ASCII);
      System.out.printf(Locale.ROOT, "dpsynth %s: median %.3f s (%.1f GFLOP/s), worst %.3f s (%.1f GFLOP/s)%n",
          key(distances[d]), VoteKernelBenchmark.median(seconds.get(d)), flops / VoteKernelBenchmark.median(seconds.get(d)) / 1e9,
          VoteKernelBenchmark.max(seconds.get(d)), flops / VoteKernelBenchmark.max(seconds.get(d)) / 1e9);
    }
    System.out.printf(Locale.ROOT, "dpsynth: pack %.3f s (once per index, not in the pass); load average at end=%s%n",
        packSeconds, VoteKernelBenchmark.loadAverage());
  }

  private static String key(NearestNeighbourKernel.Distance d) {
    return d == NearestNeighbourKernel.Distance.L2 ? "l2" : "cosine";
  }

  /** Squared norm of each row, summed as {@code SyntheticIndex} sums it. */
  static float[] sqNorms(float[] rows, int count, int dim) {
    float[] sq = new float[count];
    for (int r = 0; r < count; r++) {
      float s = 0f;
      for (int i = r * dim; i < (r + 1) * dim; i++) {
        s += rows[i] * rows[i];
      }
      sq[r] = s;
    }
    return sq;
  }

  /** One vote pass over the first {@code n} rows of {@code q}: the job's chunking, k = 1. */
  static void pass(float[] q, int n, int dim, NearestNeighbourKernel.PackedSamples packed,
      NearestNeighbourKernel.Distance distance, int[] nearest) {
    float[] block = new float[JOB_CHUNK * dim];
    int[] out = new int[JOB_CHUNK];
    for (int c = 0; c < n; c += JOB_CHUNK) {
      int count = Math.min(JOB_CHUNK, n - c);
      System.arraycopy(q, c * dim, block, 0, count * dim);
      NearestNeighbourKernel.topK(block, count, packed, 1, distance, out);
      System.arraycopy(out, 0, nearest, c, count);
    }
  }

  /** Writes {@code v} as raw little-endian float32 (numpy: {@code np.fromfile(path, '<f4')}). */
  static void writeFloats(Path path, float[] v) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(v);
    write(path, buf);
  }

  /** Writes {@code v} as raw little-endian int32 (numpy: {@code np.fromfile(path, '<i4')}). */
  static void writeInts(Path path, int[] v) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(v.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buf.asIntBuffer().put(v);
    write(path, buf);
  }

  private static void write(Path path, ByteBuffer buf) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
  }

  /**
   * Reads a raw little-endian float32 file of exactly {@code count} values; a file of any other
   * length is refused (a shape mismatch between the two sides must not pass silently).
   */
  static float[] readFloats(Path path, long count) throws IOException {
    long size = Files.size(path);
    if (size != count * Float.BYTES) {
      throw new IOException(path + ": " + size + " bytes, expected " + count * Float.BYTES
          + " (" + count + " float32 values)");
    }
    if (count > Integer.MAX_VALUE - 8) {
      throw new IOException(path + ": " + count + " values do not fit one Java array");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      while (buf.hasRemaining()) {
        if (ch.read(buf) < 0) {
          throw new IOException(path + ": ended early");
        }
      }
    }
    buf.flip();
    float[] v = new float[(int) count];
    buf.asFloatBuffer().get(v);
    return v;
  }
}
