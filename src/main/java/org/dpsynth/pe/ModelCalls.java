package org.dpsynth.pe;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.cluster.JobFiles;
import org.dpsynth.cluster.ProgressListener;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.Embedder;
import org.dpsynth.foundation.Generator;
import org.dpsynth.foundation.Models;
import scala.Tuple2;

/**
 * Calls the foundation models on executors for PUBLIC inputs (the synthetic population): random
 * samples and variations (each with its provenance: generated, or a copy of a public record) and
 * population embeddings. Each task carries its own seed, so results do not
 * depend on how tasks are split into partitions.
 */
public final class ModelCalls {
  private ModelCalls() {}

  // Tasks are RDD elements, serialised with Kryo, which cannot build Java records: plain classes.

  /** Ask for {@code n} random samples of label {@code label} with this seed. */
  static final class RandomTask implements Serializable {
    private final String label;
    private final int n;
    private final long seed;

    RandomTask(String label, int n, long seed) {
      this.label = label;
      this.n = n;
      this.seed = seed;
    }

    String label() {
      return label;
    }

    int n() {
      return n;
    }

    long seed() {
      return seed;
    }
  }

  /** One variation of {@code text}, a sample of label {@code label}, at {@code degree} with this seed. */
  static final class VariationTask implements Serializable {
    private final String label;
    private final String text;
    private final double degree;
    private final long seed;

    VariationTask(String label, String text, double degree, long seed) {
      this.label = label;
      this.text = text;
      this.degree = degree;
      this.seed = seed;
    }

    String label() {
      return label;
    }

    String text() {
      return text;
    }

    double degree() {
      return degree;
    }

    long seed() {
      return seed;
    }
  }

  /** The random samples of every task, in task order, each with its provenance. */
  static List<Generator.Text> random(SparkSession spark, JobConfig.Generator cfg, JobConfig.Input input, String cacheDir,
      List<RandomTask> tasks) {
    checkOnDriver(cfg, input, cacheDir);
    return texts(run(spark, "model calls (random samples)", "requests", tasks, new RandomFn(cfg, input, cacheDir)));
  }

  /** One variation per task, in task order, each with its provenance. */
  static List<Generator.Text> variations(SparkSession spark, JobConfig.Generator cfg, JobConfig.Input input, String cacheDir,
      List<VariationTask> tasks) {
    checkOnDriver(cfg, input, cacheDir);
    return texts(run(spark, "model calls (variations)", "variations", tasks, new VariationFn(cfg, input, cacheDir)));
  }

  /**
   * Builds the generator on the driver first, so a bad {@code generator.*} setting (such as a
   * missing public corpus) fails here with its own message rather than inside a failed task.
   */
  private static void checkOnDriver(JobConfig.Generator cfg, JobConfig.Input input, String cacheDir) {
    Models.generator(cfg, input, cacheDir);
  }

  // Results travel as (text, provenance column) tuples: Kryo serialises Scala tuples, not records.
  private static List<Generator.Text> texts(List<Tuple2<String, String>> pairs) {
    List<Generator.Text> out = new ArrayList<>(pairs.size());
    for (Tuple2<String, String> p : pairs) {
      out.add(new Generator.Text(p._1(), Generator.Provenance.ofColumn(p._2())));
    }
    return out;
  }

  private static ArrayList<Tuple2<String, String>> pairs(List<Generator.Text> texts) {
    ArrayList<Tuple2<String, String>> out = new ArrayList<>(texts.size());
    for (Generator.Text t : texts) {
      out.add(new Tuple2<>(t.text(), t.provenance().column()));
    }
    return out;
  }

  public static float[][] embed(SparkSession spark, JobConfig.Embedder cfg, String cacheDir, List<String> texts) {
    List<float[]> out = run(spark, "model calls (embedding the synthetic population)", "texts", texts, new EmbedFn(cfg, cacheDir));
    return out.toArray(new float[0][]);
  }

  /**
   * Runs {@code fn} over indexed tasks in parallel and returns results in task order; each task
   * yields one or more results (random tasks yield n).
   */
  private static <T, R> List<R> run(SparkSession spark, String phase, String unit, List<T> tasks,
      FlatMapFunction<Iterator<Tuple2<T, Long>>, Tuple2<Long, List<R>>> fn) {
    if (tasks.isEmpty()) {
      return List.of();
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int slices = Math.max(1, Math.min(tasks.size(), jsc.defaultParallelism() * 2));
    JavaRDD<T> rdd = jsc.parallelize(tasks, slices);
    List<Tuple2<Long, List<R>>> results;
    // Calls on the synthetic (public) population: their count may be shown on the console.
    try (ProgressListener.Phase p = ProgressListener.phase(spark.sparkContext(), phase, tasks.size(), unit, slices)) {
      results = rdd.zipWithIndex().mapPartitions(fn).collect();
    }
    List<Tuple2<Long, List<R>>> sorted = new ArrayList<>(results);
    sorted.sort((a, b) -> Long.compare(a._1(), b._1()));
    List<R> flat = new ArrayList<>();
    for (Tuple2<Long, List<R>> r : sorted) {
      flat.addAll(r._2());
    }
    return flat;
  }

  private static final class RandomFn implements FlatMapFunction<Iterator<Tuple2<RandomTask, Long>>, Tuple2<Long, List<Tuple2<String, String>>>> {
    private final JobConfig.Generator cfg;
    private final JobConfig.Input input;
    private final String cacheDir;

    RandomFn(JobConfig.Generator cfg, JobConfig.Input input, String cacheDir) {
      this.cfg = cfg;
      this.input = input;
      this.cacheDir = cacheDir;
    }

    @Override
    public Iterator<Tuple2<Long, List<Tuple2<String, String>>>> call(Iterator<Tuple2<RandomTask, Long>> it) {
      Generator g = Models.generator(JobFiles.promptTemplatesHere(cfg), input, cacheDir);
      List<Tuple2<Long, List<Tuple2<String, String>>>> out = new ArrayList<>();
      while (it.hasNext()) {
        Tuple2<RandomTask, Long> t = it.next();
        RandomTask task = t._1();
        out.add(new Tuple2<>(t._2(), pairs(g.randomWithProvenance(task.label(), task.n(), task.seed()))));
      }
      return out.iterator();
    }
  }

  private static final class VariationFn implements FlatMapFunction<Iterator<Tuple2<VariationTask, Long>>, Tuple2<Long, List<Tuple2<String, String>>>> {
    private final JobConfig.Generator cfg;
    private final JobConfig.Input input;
    private final String cacheDir;

    VariationFn(JobConfig.Generator cfg, JobConfig.Input input, String cacheDir) {
      this.cfg = cfg;
      this.input = input;
      this.cacheDir = cacheDir;
    }

    @Override
    public Iterator<Tuple2<Long, List<Tuple2<String, String>>>> call(Iterator<Tuple2<VariationTask, Long>> it) {
      Generator g = Models.generator(JobFiles.promptTemplatesHere(cfg), input, cacheDir);
      List<Tuple2<Long, List<Tuple2<String, String>>>> out = new ArrayList<>();
      while (it.hasNext()) {
        Tuple2<VariationTask, Long> t = it.next();
        VariationTask task = t._1();
        out.add(new Tuple2<>(t._2(), pairs(g.variationWithProvenance(task.label(), List.of(task.text()), task.degree(), task.seed()))));
      }
      return out.iterator();
    }
  }

  private static final class EmbedFn implements FlatMapFunction<Iterator<Tuple2<String, Long>>, Tuple2<Long, List<float[]>>> {
    private final JobConfig.Embedder cfg;
    private final String cacheDir;

    EmbedFn(JobConfig.Embedder cfg, String cacheDir) {
      this.cfg = cfg;
      this.cacheDir = cacheDir;
    }

    @Override
    public Iterator<Tuple2<Long, List<float[]>>> call(Iterator<Tuple2<String, Long>> it) {
      Embedder e = Models.embedder(cfg, cacheDir);
      List<Tuple2<Long, List<float[]>>> out = new ArrayList<>();
      List<String> batch = new ArrayList<>();
      List<Long> ids = new ArrayList<>();
      while (it.hasNext()) {
        Tuple2<String, Long> t = it.next();
        batch.add(t._1());
        ids.add(t._2());
        if (batch.size() >= Embedder.PARTITION_WINDOW || !it.hasNext()) {
          float[][] v = e.embed(batch).vectors();
          for (int i = 0; i < v.length; i++) {
            out.add(new Tuple2<>(ids.get(i), new ArrayList<>(List.of(v[i]))));
          }
          batch.clear();
          ids.clear();
        }
      }
      return out.iterator();
    }
  }
}
