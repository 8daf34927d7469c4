package org.dpsynth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.pe.PrivateEvolution;

/**
 * The PE job end to end on a synthetic private corpus of N records, at several N, each in a fresh
 * JVM: per-stage seconds from the run's own {@code private/timings.json} ({@link
 * PrivateEvolution#STAGE_READ} … {@link PrivateEvolution#STAGE_WRITE}), the growth ratio of each
 * stage from the smallest to the largest N, and the driver JVM's heap.
 *
 * <p>The corpus: words of the public demo corpus ({@code data-samples/public-corpus.jsonl}), each
 * record cut from random consecutive public texts (about one word in ten dropped, so records
 * differ) to a word count drawn from the sample private corpus's word counts (mean 29; the public
 * texts average 17), with a seeded generator; labels drawn uniformly from the job's label names;
 * users drawn uniformly from N/4 ids (4 records per user on average, so the per-user bound of 8
 * drops few). Written as Parquet to a temporary directory, read by the job like any input.
 *
 * <p>The job is {@code conf/pe-fortunes.yaml} with input, dataset, output and the iteration count
 * and population size of {@code --iterations} / {@code --population} overridden (plus any {@code
 * --set key=value}): the private side grows with N, the synthetic side does not.
 *
 * <p>Heap: a thread samples the heap every 50 ms. In local mode the driver JVM also runs the
 * executor tasks, so "peak used" includes their garbage and depends on when the collector runs;
 * "peak live" is the largest heap occupancy right after a collection (from the collectors'
 * notifications), which is what the JVM retains; "cached blocks" is the size of Spark's in-memory
 * block cache at the end of the run (the cached private embeddings: executor storage, which local
 * mode keeps in the same heap), printed so that driver state can be told apart from it.
 *
 * <p>Usage: {@code EndToEndBenchmark [--sizes 10000,100000] [--iterations 2] [--population 200]
 * [--config conf/pe-fortunes.yaml] [--set key=value ...]}. Prints one table and, last, {@code
 * e2e_embed_growth=}, {@code e2e_total_growth=}, {@code e2e_driver_heap_mb_<N>=} (peak live) and
 * {@code e2e_driver_peak_used_mb_<N>=} lines (N as 10k, 100k, …).
 */
public final class EndToEndBenchmark {
  private EndToEndBenchmark() {}

  static final String[] STAGES = {
    PrivateEvolution.STAGE_READ, PrivateEvolution.STAGE_EMBED_PRIVATE, PrivateEvolution.STAGE_EMBED_SYNTHETIC,
    PrivateEvolution.STAGE_VOTE, PrivateEvolution.STAGE_GENERATE, PrivateEvolution.STAGE_WRITE
  };
  private static final String RESULT = "e2e_result ";

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = List.of(10_000, 100_000);
    int iterations = 2;
    int population = 200;
    Path config = Path.of("conf/pe-fortunes.yaml");
    List<String> sets = new ArrayList<>();
    Integer child = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sizes" -> sizes = java.util.Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
        case "--iterations" -> iterations = Integer.parseInt(args[++i]);
        case "--population" -> population = Integer.parseInt(args[++i]);
        case "--config" -> config = Path.of(args[++i]);
        case "--set" -> sets.add(args[++i]);
        case "--child" -> child = Integer.valueOf(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + "; usage: [--sizes 10000,100000] [--iterations 2] [--population 200] [--config FILE] [--set key=value ...]");
      }
    }
    if (child != null) {
      runOne(child, iterations, population, config, sets);
      return;
    }
    System.out.printf(Locale.ROOT, "PE end to end: %s, %d iterations, population %d, master %s, cores %d, "
        + "max heap %d MB; load average at start %s%n", config, iterations, population,
        System.getProperty("spark.master", "(unset)"), Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20, VoteKernelBenchmark.loadAverage());
    Map<Integer, JsonNode> results = new LinkedHashMap<>();
    for (int n : sizes) {
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(EndToEndBenchmark.class.getName());
      cmd.addAll(List.of("--child", Integer.toString(n), "--iterations", Integer.toString(iterations),
          "--population", Integer.toString(population), "--config", config.toString()));
      for (String s : sets) {
        cmd.addAll(List.of("--set", s));
      }
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      JsonNode result = null;
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          if (line.startsWith(RESULT)) {
            result = new ObjectMapper().readTree(line.substring(RESULT.length()));
          } else if (line.startsWith("e2e ")) {
            System.out.println(line);
          }
        }
      }
      int rc = p.waitFor();
      if (rc != 0 || result == null) {
        throw new IllegalStateException("end-to-end run at N=" + n + " failed (exit " + rc + ")");
      }
      results.put(n, result);
    }
    print(results);
  }

  private static void print(Map<Integer, JsonNode> results) {
    List<Integer> ns = new ArrayList<>(results.keySet());
    int lo = ns.get(0);
    int hi = ns.get(ns.size() - 1);
    System.out.println();
    StringBuilder head = new StringBuilder(String.format("%-22s", "seconds"));
    for (int n : ns) {
      head.append(String.format("%12s", label(n)));
    }
    head.append(String.format("%10s %8s", "growth", "share"));
    System.out.println(head);
    List<String> rows = new ArrayList<>(List.of(STAGES));
    rows.add("other");
    rows.add("total");
    double hiTotal = results.get(hi).path("total").asDouble();
    for (String stage : rows) {
      StringBuilder line = new StringBuilder(String.format("%-22s", stage));
      for (int n : ns) {
        line.append(String.format(Locale.ROOT, "%12.1f", seconds(results.get(n), stage)));
      }
      double a = seconds(results.get(lo), stage);
      double b = seconds(results.get(hi), stage);
      line.append(String.format(Locale.ROOT, "%10.2f %7.1f%%", b / a, 100 * b / hiTotal));
      System.out.println(line);
    }
    for (String heap : List.of("heap_live_mb", "cached_mb", "heap_used_mb")) {
      StringBuilder line = new StringBuilder(String.format("%-22s", heap.equals("heap_live_mb")
          ? "driver peak live MB" : heap.equals("cached_mb") ? "  of it cached blocks" : "driver peak used MB"));
      for (int n : ns) {
        line.append(String.format(Locale.ROOT, "%12d", results.get(n).path(heap).asLong()));
      }
      System.out.println(line);
    }
    System.out.printf(Locale.ROOT, "growth = %s / %s (records x%.0f); share = of the %s total; load average at end %s%n",
        label(hi), label(lo), (double) hi / lo, label(hi), VoteKernelBenchmark.loadAverage());
    System.out.printf(Locale.ROOT, "e2e_embed_growth=%.2f%n",
        seconds(results.get(hi), PrivateEvolution.STAGE_EMBED_PRIVATE) / seconds(results.get(lo), PrivateEvolution.STAGE_EMBED_PRIVATE));
    System.out.printf(Locale.ROOT, "e2e_total_growth=%.2f%n", seconds(results.get(hi), "total") / seconds(results.get(lo), "total"));
    for (int n : ns) {
      System.out.printf(Locale.ROOT, "e2e_driver_heap_mb_%s=%d%n", label(n), results.get(n).path("heap_live_mb").asLong());
    }
    for (int n : ns) {
      System.out.printf(Locale.ROOT, "e2e_driver_heap_minus_cache_mb_%s=%d%n", label(n),
          results.get(n).path("heap_live_mb").asLong() - results.get(n).path("cached_mb").asLong());
    }
    for (int n : ns) {
      System.out.printf(Locale.ROOT, "e2e_driver_peak_used_mb_%s=%d%n", label(n), results.get(n).path("heap_used_mb").asLong());
    }
  }

  private static double seconds(JsonNode r, String stage) {
    if (stage.equals("total")) {
      return r.path("total").asDouble();
    }
    if (stage.equals("other")) {
      double rest = r.path("total").asDouble();
      for (String s : STAGES) {
        rest -= r.path("stages").path(s).asDouble();
      }
      return rest;
    }
    return r.path("stages").path(stage).asDouble();
  }

  static String label(int n) {
    return n % 1000 == 0 ? (n / 1000) + "k" : Integer.toString(n);
  }

  /** One size in this JVM: writes the corpus, runs the job, prints one {@code e2e_result} JSON line. */
  private static void runOne(int n, int iterations, int population, Path config, List<String> sets) throws Exception {
    Path tmp = Files.createTempDirectory("dpsynth-e2e-");
    HeapSampler heap = new HeapSampler();
    SparkSession spark = SparkSession.builder().appName("dpsynth e2e benchmark").getOrCreate();
    try {
      JobConfig base = ConfigLoader.load(config, List.of());
      Path corpus = tmp.resolve("private.parquet");
      writeCorpus(spark, n, base.labels().names(), Path.of("data-samples/public-corpus.jsonl"),
          Path.of("data-samples/fortunes-private.jsonl"), corpus);
      List<String> overrides = new ArrayList<>(List.of(
          "input.path=" + corpus, "input.format=parquet", "input.dataset=e2e-" + n + "-" + tmp.getFileName(),
          "pe.iterations=" + iterations, "pe.population_size=" + population, "output.dir=" + tmp.resolve("run")));
      overrides.addAll(sets);
      JobConfig cfg = ConfigLoader.load(config, overrides);
      Path runDir = tmp.resolve("run");
      heap.start();
      long t0 = System.nanoTime();
      new PrivateEvolution(spark, cfg, runDir, new PrintStream(OutputStream.nullOutputStream()), phase -> {}).run();
      double total = (System.nanoTime() - t0) / 1e9;
      heap.stop();
      // Local mode: this JVM is also the executor, and its block cache (the cached private
      // embeddings) is executor memory, not driver state. Count it so it can be told apart.
      long cached = 0;
      for (org.apache.spark.storage.RDDInfo info : spark.sparkContext().getRDDStorageInfo()) {
        cached += info.memSize();
      }
      JsonNode timings = new ObjectMapper().readTree(runDir.resolve("private/timings.json").toFile()).path("seconds");
      var out = new ObjectMapper().createObjectNode();
      out.put("n", n);
      out.put("total", total);
      var stages = out.putObject("stages");
      for (String s : STAGES) {
        stages.put(s, timings.path(s).asDouble());
      }
      out.put("heap_live_mb", heap.peakLive.get() >> 20);
      out.put("heap_used_mb", heap.peakUsed.get() >> 20);
      out.put("cached_mb", cached >> 20);
      System.out.printf(Locale.ROOT, "e2e N=%s: total %.1f s, private embedding %.1f s, peak live heap %d MB%n",
          label(n), total, timings.path(PrivateEvolution.STAGE_EMBED_PRIVATE).asDouble(), heap.peakLive.get() >> 20);
      System.out.println(RESULT + out);
    } finally {
      spark.stop();
      deleteTree(tmp);
    }
  }

  /** N records (user_id, text, label) drawn from the public corpus's texts, seeded by N. */
  static void writeCorpus(SparkSession spark, int n, List<String> labels, Path publicJsonl, Path lengthsFrom, Path out)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String[]> texts = new ArrayList<>();
    for (String line : Files.readAllLines(publicJsonl)) {
      if (!line.isBlank()) {
        String t = json.readTree(line).path("text").asText("");
        if (!t.isBlank()) {
          texts.add(t.split("\\s+"));
        }
      }
    }
    // Word counts of the sample private corpus (lengths only): public texts are shorter (mean 17
    // words against 29), so each record is cut from consecutive public texts to a drawn length.
    List<Integer> lengths = new ArrayList<>();
    for (String line : Files.readAllLines(lengthsFrom)) {
      if (!line.isBlank()) {
        lengths.add(Math.max(1, json.readTree(line).path("text").asText("").split("\\s+").length));
      }
    }
    SplittableRandom rnd = new SplittableRandom(20240101L + n);
    int users = Math.max(1, n / 4);
    List<Row> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int target = lengths.get(rnd.nextInt(lengths.size()));
      StringBuilder t = new StringBuilder();
      int words = 0;
      while (words < target) {
        for (String w : texts.get(rnd.nextInt(texts.size()))) {
          if (words < target && rnd.nextInt(10) != 0) { // drop about one word in ten
            t.append(words++ == 0 ? "" : " ").append(w);
          }
        }
      }
      rows.add(RowFactory.create(String.format("u%07d", rnd.nextInt(users)), t.toString(), labels.get(rnd.nextInt(labels.size()))));
    }
    StructType schema = new StructType()
        .add("user_id", DataTypes.StringType, false)
        .add("text", DataTypes.StringType, false)
        .add("label", DataTypes.StringType, false);
    spark.createDataFrame(rows, schema).repartition(4).write().mode(SaveMode.Overwrite).parquet(out.toString());
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /**
   * Peak heap used (sampled every 50 ms) and the peak of the heap in use right after a collection
   * (summed over heap pools, from the collectors' notifications).
   */
  private static final class HeapSampler implements javax.management.NotificationListener {
    final AtomicLong peakUsed = new AtomicLong();
    final AtomicLong peakLive = new AtomicLong();
    private volatile boolean running;
    private Thread thread;

    void start() {
      System.gc();
      for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        ((javax.management.NotificationEmitter) gc).addNotificationListener(this, null, null);
      }
      running = true;
      thread = new Thread(() -> {
        while (running) {
          long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
          peakUsed.accumulateAndGet(used, Math::max);
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "heap-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws Exception {
      running = false;
      thread.join();
      for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        ((javax.management.NotificationEmitter) gc).removeNotificationListener(this);
      }
    }

    @Override
    public void handleNotification(javax.management.Notification n, Object handback) {
      if (!com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
        return;
      }
      var info = com.sun.management.GarbageCollectionNotificationInfo.from(
          (javax.management.openmbean.CompositeData) n.getUserData());
      long after = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          var u = info.getGcInfo().getMemoryUsageAfterGc().get(pool.getName());
          after += u == null ? 0 : u.getUsed();
        }
      }
      peakLive.accumulateAndGet(after, Math::max);
    }
  }
}
