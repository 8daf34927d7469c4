package org.dpsynth.bench;

import org.dpsynth.pe.NearestNeighbourKernel;
import org.dpsynth.pe.SyntheticIndex;
import org.dpsynth.pe.VoteAccumulator;
import org.dpsynth.pe.VoteJob;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.privacy.GridGaussianMechanism;

/**
 * Scaling of one PE iteration's vote stage ({@link VoteJob#histogram}) in Spark: N private rows ×
 * M synthetic samples × dim, random unit vectors, 8 labels. The per-user rows have the shape
 * {@code PrivateEmbeddings} stores (user, records: array of (score, label, vec)) and are generated
 * on the executors from a seed (never collected). Each cell is timed twice over the same
 * generated rows: a pass that only generates and reads every vector ("gen"), and the vote
 * ("gen+vote"); the vote's own cost is the difference. After each vote the driver's used heap
 * (after a GC) is printed: it must stay flat as N grows (O(M), never O(N) or O(N·M)).
 *
 * <p>Benchmark, not a test: a public-data generator, nothing private. Usage: {@code
 * VoteScalingBenchmark [--private 10000,100000,1000000] [--synthetic 1000,10000] [--dim 384]
 * [--k 1] [--labels 8] [--repeats 3] [--no-gen-pass]} (each cell's times are the median of the
 * repeats; the last option skips the "gen" pass); the master comes from {@code -Dspark.master}
 * (submit/bench.sh: local[2]).
 *
 * <p>The ratio lines: time per private row at the largest N over that at 100k (1 = exactly
 * linear in N; below 1 when fixed per-job costs are still being amortised) and vote time per
 * (private, synthetic) pair at the largest M over the smallest (1 = linear in M).
 */
public final class VoteScalingBenchmark {
  static final StructType RECORD = new StructType()
      .add("score", DataTypes.LongType, false)
      .add("label", DataTypes.IntegerType, false)
      .add("vec", DataTypes.createArrayType(DataTypes.FloatType, false), false);
  public static final StructType PER_USER = new StructType()
      .add("user", DataTypes.StringType, false)
      .add("records", DataTypes.createArrayType(RECORD, false), false);

  private VoteScalingBenchmark() {}

  public static void main(String[] args) {
    long[] privateSizes = {10_000, 100_000, 1_000_000};
    int[] syntheticSizes = {1_000, 10_000};
    int dim = 384;
    int k = 1;
    int labels = 8;
    boolean genPass = true;
    int repeats = 3;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--private" -> privateSizes = java.util.Arrays.stream(args[++i].split(",")).mapToLong(Long::parseLong).toArray();
        case "--synthetic" -> syntheticSizes = java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--dim" -> dim = Integer.parseInt(args[++i]);
        case "--k" -> k = Integer.parseInt(args[++i]);
        case "--labels" -> labels = Integer.parseInt(args[++i]);
        case "--no-gen-pass" -> genPass = false;
        case "--repeats" -> repeats = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + "; usage: [--private N,N,..] [--synthetic M,M,..] [--dim D] [--k K] [--labels L] [--repeats R] [--no-gen-pass]");
      }
    }
    SparkConf conf = new SparkConf().setAppName("dpsynth-vote-scaling");
    if (!conf.contains("spark.master")) {
      throw new IllegalArgumentException("no Spark master: run through submit/bench.sh scale (local[2])");
    }
    SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
    int cores = spark.sparkContext().defaultParallelism();
    System.out.printf(Locale.ROOT, "master=%s, default parallelism=%d, dim=%d, k=%d, labels=%d, driver max heap=%d MB, "
        + "load average at start=%s%n", conf.get("spark.master"), cores, dim, k, labels,
        Runtime.getRuntime().maxMemory() >> 20, VoteKernelBenchmark.loadAverage());
    System.out.printf("%9s %7s %6s %9s %9s %9s %12s %12s %14s%n", "private", "synth", "parts", "gen s", "gen+vote s",
        "vote s", "ns/pair", "private/s", "driver heap MB");

    List<double[]> cells = new ArrayList<>();
    warmUp(spark, dim, labels, k);
    for (int m : syntheticSizes) {
      float[][] synth = new float[m][];
      int[] synthLabels = new int[m];
      SplittableRandom rng = new SplittableRandom(7L * m);
      for (int j = 0; j < m; j++) {
        synth[j] = unit(rng, dim);
        synthLabels[j] = j % labels;
      }
      SyntheticIndex index = SyntheticIndex.build(synth, synthLabels, labels);
      GridGaussianMechanism grid = new GridGaussianMechanism(1.0, m);
      for (long n : privateSizes) {
        int parts = (int) Math.max(cores, Math.min(64, n / 50_000));
        Dataset<Row> perUser = spark.range(0, n, 1, parts)
            .mapPartitions(new RandomUsers(dim, labels, 20240601L), org.apache.spark.sql.Encoders.row(PER_USER));
        List<Double> gens = new ArrayList<>();
        List<Double> totals = new ArrayList<>();
        double check = 0;
        long[] hist = null;
        for (int rep = 0; rep < repeats; rep++) {
          long t0 = System.nanoTime();
          check = genPass ? VoteJob.internalRows(perUser).mapPartitions(new TouchVectors()).reduce(Double::sum) : 0;
          gens.add((System.nanoTime() - t0) / 1e9);
          long t1 = System.nanoTime();
          hist = VoteJob.histogram(perUser, index, k, NearestNeighbourKernel.Distance.COSINE, grid);
          totals.add((System.nanoTime() - t1) / 1e9);
        }
        double gen = genPass ? median(gens) : Double.NaN;
        double total = median(totals);
        long votes = 0;
        for (long h : hist) {
          votes += h;
        }
        if (votes <= 0 || Double.isNaN(check)) {
          throw new IllegalStateException("empty vote histogram for N=" + n + ", M=" + m);
        }
        hist = null;
        System.gc();
        long heap = (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20;
        double vote = genPass ? Math.max(0, total - gen) : Double.NaN;
        // Each private row is compared with the M/labels samples of its own label.
        double pairs = (double) n * m / labels;
        cells.add(new double[] {n, m, vote, pairs, total});
        System.out.printf(Locale.ROOT, "%9d %7d %6d %9.2f %9.2f %9.2f %12.2f %12.0f %14d%n", n, m, parts, gen, total, vote,
            vote * 1e9 / pairs, n / total, heap);
      }
    }
    // Largest allocations a vote task makes (VoteAccumulator with 2048-record chunks, the kernel's packing).
    int chunk = 2048;
    int maxM = java.util.Arrays.stream(syntheticSizes).max().orElse(0);
    long perTask = (long) chunk * dim * Float.BYTES * 2 + (long) chunk * k * Integer.BYTES * 3 + (long) maxM * Long.BYTES;
    long perJvm = (long) maxM * dim * Float.BYTES * 2;
    System.out.printf(Locale.ROOT, "largest per-task allocation: ~%.1f MB (a chunk of %d records x %d dims, copied once "
        + "into kernel panels, + the long[%d] partial sum), independent of N; per executor JVM the broadcast "
        + "synthetic index and its packed copy: %.1f MB; no N x M matrix is ever held%n",
        perTask / 1e6, chunk, dim, maxM, perJvm / 1e6);
    System.out.printf(Locale.ROOT, "load average at end=%s%n", VoteKernelBenchmark.loadAverage());
    for (int m : syntheticSizes) {
      double[] first = null;
      double[] last = null;
      for (double[] c : cells) {
        if (c[1] == m && c[0] >= 100_000) {
          first = first == null ? c : first;
          last = c;
        }
      }
      if (first != null && last != first) {
        // 1.0 = perfectly linear in N: the time per private row is the same at the largest N as at 100k.
        System.out.printf(Locale.ROOT, "scale_stage_time_per_row_ratio_M%d_N%dvsN%d=%.2f%n", m, (long) last[0], (long) first[0],
            (last[4] / last[0]) / (first[4] / first[0]));
      }
    }
    for (long n : privateSizes) {
      double[] small = null;
      double[] large = null;
      for (double[] c : cells) {
        if (c[0] == n) {
          small = small == null ? c : small;
          large = c;
        }
      }
      if (small != null && large != small) {
        System.out.printf(Locale.ROOT, "scale_vote_time_per_pair_ratio_N%d_M%dvsM%d=%.2f%n", n, (long) large[1], (long) small[1],
            (large[2] / large[3]) / (small[2] / small[3]));
      }
    }
    spark.stop();
  }

  static double median(List<Double> v) {
    double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  /** An untimed small vote first, so JIT and Spark start-up are not charged to the first cell. */
  private static void warmUp(SparkSession spark, int dim, int labels, int k) {
    float[][] synth = new float[256][];
    int[] synthLabels = new int[256];
    SplittableRandom rng = new SplittableRandom(1);
    for (int j = 0; j < synth.length; j++) {
      synth[j] = unit(rng, dim);
      synthLabels[j] = j % labels;
    }
    Dataset<Row> perUser = spark.range(0, 20_000, 1, 2)
        .mapPartitions(new RandomUsers(dim, labels, 1L), Encoders.row(PER_USER));
    VoteJob.internalRows(perUser).mapPartitions(new TouchVectors()).reduce(Double::sum);
    VoteJob.histogram(perUser, SyntheticIndex.build(synth, synthLabels, labels), k,
        NearestNeighbourKernel.Distance.COSINE, new GridGaussianMechanism(1.0, synth.length));
  }


  static float[] unit(SplittableRandom rng, int dim) {
    float[] v = new float[dim];
    double norm = 0;
    for (int i = 0; i < dim; i++) {
      double g = rng.nextDouble() * 2 - 1;
      v[i] = (float) g;
      norm += g * g;
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int i = 0; i < dim; i++) {
      v[i] *= inv;
    }
    return v;
  }

  /** One user per id with one record: a random unit vector and label id % labels, from a per-id seed. */
  static final class RandomUsers implements MapPartitionsFunction<Long, Row>, Serializable {
    private final int dim;
    private final int labels;
    private final long seed;

    RandomUsers(int dim, int labels, long seed) {
      this.dim = dim;
      this.labels = labels;
      this.seed = seed;
    }

    @Override
    public Iterator<Row> call(Iterator<Long> ids) {
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return ids.hasNext();
        }

        @Override
        public Row next() {
          long id = ids.next();
          SplittableRandom rng = new SplittableRandom(seed ^ (id * 0x9E3779B97F4A7C15L));
          float[] v = unit(rng, dim);
          Float[] boxed = new Float[dim];
          for (int i = 0; i < dim; i++) {
            boxed[i] = v[i];
          }
          Row record = RowFactory.create(rng.nextLong(), (int) (id % labels),
              scala.jdk.javaapi.CollectionConverters.asScala(java.util.Arrays.asList(boxed)));
          return RowFactory.create("u" + id, scala.jdk.javaapi.CollectionConverters.asScala(List.of(record)));
        }
      };
    }
  }

  /** Reads every vector element the way the vote does, so "gen" costs what the vote's input costs. */
  static final class TouchVectors
      implements org.apache.spark.api.java.function.FlatMapFunction<Iterator<org.apache.spark.sql.catalyst.InternalRow>, Double> {
    @Override
    public Iterator<Double> call(Iterator<org.apache.spark.sql.catalyst.InternalRow> users) {
      double s = 0;
      while (users.hasNext()) {
        for (float[] v : VoteJob.UserRecords.of(users.next()).vectors()) {
          s += v[0];
        }
      }
      return List.of(s).iterator();
    }
  }
}
