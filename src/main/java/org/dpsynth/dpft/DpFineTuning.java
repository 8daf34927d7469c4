package org.dpsynth.dpft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.config.ConfigException;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.DpftConfig;
import org.dpsynth.data.ContributionBounds;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.data.InputException;
import org.dpsynth.pe.RunDirectory;
import org.dpsynth.pe.Selection;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.NoiseSource;
import org.dpsynth.privacy.PrivacyLedger;
import org.dpsynth.privacy.SeededNoise;

/**
 * DP fine-tuning then sampling (Yue et al., ACL 2023, "Synthetic Text Generation with Differential
 * Privacy: A Simple and Practical Recipe") with user-level DP-SGD on Spark: load the public
 * pretrained {@link FeedForwardLm}, run T DP-SGD steps ({@link DpSgdStep} on executors via {@link
 * DpSgdJob}, noise and the optimiser on the driver), then sample texts per label with control
 * codes and write them as PE does ({@code public/synthetic/}: id, text, label, iteration,
 * parent_id).
 *
 * <p>Every step is written to the privacy ledger (a "poisson-gaussian" entry) before its noise is
 * drawn. Checkpoints (parameters, optimiser state, step) go to {@code private/checkpoint.bin}
 * every {@code dpft.checkpoint_every} steps; a re-run on the same directory resumes from the last
 * one. A step that is in the ledger but after the checkpoint was drawn by a process that died
 * before anything derived from it was written; it is redone without a second charge.
 */
public final class DpFineTuning {
  static final StructType SYNTHETIC_SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("text", DataTypes.StringType, false)
      .add("label", DataTypes.StringType, false)
      .add("iteration", DataTypes.IntegerType, false)
      .add("parent_id", DataTypes.StringType, true);

  private final SparkSession spark;
  private final DpftConfig cfg;
  private final RunDirectory run;
  private final PrintStream console;
  private final Consumer<String> boundary;
  private final List<String> labels;
  private final DpftPlan plan;
  private final NoiseSource noiseSpec;
  private final long started = System.nanoTime();
  private String runId;
  private PrivacyLedger ledger;
  private Double dpUserCount;
  private double expectedBatch;

  /** @param boundary called with "step-N-checkpointed" after each checkpoint (tests stop the driver there) */
  public DpFineTuning(SparkSession spark, DpftConfig cfg, Path runDir, PrintStream console, Consumer<String> boundary) {
    this.spark = spark;
    this.cfg = cfg;
    this.run = new RunDirectory(runDir);
    this.console = console;
    this.boundary = boundary;
    this.labels = cfg.input().hasLabels() ? List.copyOf(cfg.labels().names()) : List.of(CorpusReader.NO_LABEL);
    this.plan = DpftPlan.of(cfg);
    this.noiseSpec = NoiseSource.parse(cfg.privacy().noise());
  }

  public Path checkpointFile() {
    return run.privateDir().resolve("checkpoint.bin");
  }

  public Path modelFile() {
    return run.publicDir().resolve("model.bin");
  }

  /** Runs or resumes the job; returns the fine-tuned parameters. */
  public double[] run() {
    run.create();
    startOrResume();
    if (!noiseSpec.isSecure()) {
      console.println("WARNING: noise source is " + noiseSpec.description());
    }
    if (!"secure".equals(cfg.dpft().sampling())) {
      console.println("WARNING: user sampling is " + cfg.dpft().sampling() + " -- TEST ONLY: the batches are predictable");
    }
    ModelFile.Model pre = Pretraining.loadOrBuild(cfg.pretrain(), Path.of(cfg.model().pretrained()), console);
    FeedForwardLm.Shape shape = pre.shape();
    if (shape.codes() < labels.size() + 1) {
      throw new ConfigException("model.pretrained has " + (shape.codes() - 1) + " control codes, fewer than the "
          + labels.size() + " labels; raise pretrain.max_labels and rebuild");
    }
    console.printf("dpsynth dpft: %d DP-SGD steps, sampling rate q = %.4g, %,d parameters, target epsilon %s at delta %.3g"
            + " -> noise multiplier z = %.4f (noise stddev %.4g, clip C = %.4g)%n",
        plan.steps(), plan.samplingRate(), shape.parameters(),
        cfg.privacy().epsilon() == null ? "(given sigma)" : String.format("%.4g", cfg.privacy().epsilon()),
        plan.delta(), plan.noiseMultiplier(), plan.noiseStddev(), plan.clip());
    writeManifest("running", 0, 0);

    JavaRDD<UserExamples> users = privateUsers(pre.vocabulary());
    try {
      expectedBatch = expectedBatchSize(users);
      double[] proportions = labelProportions(users);
      double[] params = train(users, shape, pre.parameters());
      ModelFile.writeModel(modelFile(), new ModelFile.Model(shape, pre.vocabulary(), params,
          "dpsynth dpft run " + runId + " (DP-SGD; epsilon " + plan.epsilon(plan.steps()) + " at delta " + plan.delta() + ") from " + pre.provenance()));
      int written = generate(new FeedForwardLm(shape, params), pre.vocabulary(), proportions);
      double eps = plan.epsilon(plan.steps());
      writeManifest("complete", plan.steps(), written);
      console.printf("done: %d synthetic samples in %s; epsilon = %.4g at delta = %.3g (RDP, Poisson-subsampled Gaussian; noise: %s)%n",
          written, run.synthetic(), eps, plan.delta(), noiseSpec.description());
      return params;
    } finally {
      users.unpersist(false);
    }
  }

  // ---------------------------------------------------------------- identity and resume

  private void startOrResume() {
    runId = run.startOrResume(cfg, console);
    ledger = PrivacyLedger.open(run.ledger());
  }

  // ---------------------------------------------------------------- private side

  private JavaRDD<UserExamples> privateUsers(Vocabulary vocab) {
    Dataset<Row> corpus = CorpusReader.read(spark, cfg.input());
    Dataset<Row> bounded = ContributionBounds.apply(corpus, labels, cfg.input().maxRecordsPerUser(), cfg.dpft().seed()).cache();
    try {
      if (!Files.isRegularFile(run.diagnostics())) {
        Map<String, Long> diag = new LinkedHashMap<>(ContributionBounds.diagnostics(corpus, bounded, labels));
        ObjectNode d = RunDirectory.JSON.createObjectNode();
        d.put("note", "PRIVATE: exact counts over the private corpus; never share");
        diag.forEach(d::put);
        RunDirectory.writeJson(run.diagnostics(), d);
        if (diag.get("records_after_bounding") == 0) {
          throw new InputException(cfg.input().path() + ": no usable records (need a user id, a non-empty text and a label from labels.names); "
              + "details in " + run.diagnostics());
        }
      }
      JavaRDD<UserExamples> users = DpSgdJob.userExamples(spark, bounded, vocab, cfg.dpft().maxTokens(), cfg.dpft().partitions());
      users.count(); // materialise the cache; the count itself is private and goes nowhere
      return users;
    } finally {
      bounded.unpersist();
    }
  }

  /** q · N̂, where N̂ is a DP user count (released once, charged) or the public number given. */
  private double expectedBatchSize(JavaRDD<UserExamples> users) {
    double q = plan.samplingRate();
    if (!cfg.dpft().dpUserCount()) {
      return cfg.dpft().publicExpectedBatchSize();
    }
    Path file = run.publicDir().resolve("user-count.json");
    double noisy;
    if (Files.isRegularFile(file)) {
      noisy = RunDirectory.readJson(file).path("noisy_user_count").asDouble();
    } else {
      GridGaussianMechanism mech = new GridGaussianMechanism(1.0, 1);
      noisy = releaseCount("dpft/user-count", DpSgdJob.userCountSum(users, mech), mech)[0];
      ObjectNode o = RunDirectory.JSON.createObjectNode();
      o.put("mechanism", "gaussian");
      o.put("noise_stddev", plan.countNoise());
      o.put("sensitivity", 1.0);
      o.put("noisy_user_count", noisy);
      RunDirectory.writeJson(file, o);
    }
    dpUserCount = noisy;
    double n = Math.max(noisy, 1.0);
    console.printf("DP user count %.1f (noise stddev %.3g) -> expected batch size q*N = %.1f%n", noisy, plan.countNoise(), q * n);
    return q * n;
  }

  private double[] labelProportions(JavaRDD<UserExamples> users) {
    double[] w = new double[labels.size()];
    if (!cfg.labels().dpProportions()) {
      Map<String, Double> weights = cfg.labels().weights();
      for (int l = 0; l < w.length; l++) {
        w[l] = weights == null || weights.isEmpty() ? 1.0 : weights.getOrDefault(labels.get(l), 0.0);
      }
      return w;
    }
    double[] noisy;
    if (Files.isRegularFile(run.labelRelease())) {
      JsonNode arr = RunDirectory.readJson(run.labelRelease()).path("noisy_counts");
      noisy = new double[arr.size()];
      for (int i = 0; i < noisy.length; i++) {
        noisy[i] = arr.get(i).asDouble();
      }
    } else {
      GridGaussianMechanism mech = new GridGaussianMechanism(1.0, labels.size());
      noisy = releaseCount("dpft/labels", DpSgdJob.labelCountSum(users, mech), mech);
      ObjectNode o = RunDirectory.JSON.createObjectNode();
      o.put("mechanism", "gaussian");
      o.put("noise_stddev", plan.countNoise());
      o.put("sensitivity", 1.0);
      ArrayNode names = o.putArray("labels");
      labels.forEach(names::add);
      ArrayNode values = o.putArray("noisy_counts");
      for (double v : noisy) {
        values.add(v);
      }
      RunDirectory.writeJson(run.labelRelease(), o);
    }
    boolean any = false;
    for (int l = 0; l < w.length; l++) {
      w[l] = Math.max(0, noisy[l]);
      any |= w[l] > 0;
    }
    if (!any) {
      console.println("note: every DP label count is <= 0 after noise; using uniform label proportions");
      java.util.Arrays.fill(w, 1.0);
    }
    return w;
  }

  private double[] releaseCount(String name, long[] sum, GridGaussianMechanism mech) {
    String releaseId = runId + "/" + name;
    if (!ledger.contains(releaseId)) {
      ledger.append(new LedgerEntry(releaseId, LedgerEntry.GAUSSIAN, plan.countNoise(), 1.0, 1, runId,
          cfg.input().datasetName(), Instant.now().toString()));
    }
    return mech.release(sum, plan.countNoise(), noiseFor(releaseId));
  }

  private double[] train(JavaRDD<UserExamples> users, FeedForwardLm.Shape shape, double[] pretrained) {
    int n = shape.parameters();
    double[] params;
    Adam adam;
    int done;
    if (Files.isRegularFile(checkpointFile())) {
      ModelFile.Checkpoint c = ModelFile.readCheckpoint(checkpointFile(), n);
      if (!c.runId().equals(runId)) {
        throw new IllegalStateException(checkpointFile() + " belongs to another run");
      }
      params = c.parameters();
      adam = new Adam(c.adamM(), c.adamV(), c.adamT());
      done = c.step();
      console.printf("resuming after step %d from %s%n", done, checkpointFile());
    } else {
      params = pretrained.clone();
      // Label codes start as the pretrained "no label" code, so step 0 is the public model.
      int d = shape.embed();
      int codes = shape.vocab() * d;
      for (int k = 1; k < shape.codes(); k++) {
        System.arraycopy(params, codes, params, codes + k * d, d);
      }
      adam = new Adam(n);
      done = 0;
    }
    GridGaussianMechanism mech = new GridGaussianMechanism(plan.clip(), n);
    long t0 = System.nanoTime();
    for (int step = done + 1; step <= plan.steps(); step++) {
      PoissonSampling sampling = samplingFor(step);
      long[] sum = DpSgdJob.gradientSum(users, shape, params, sampling, plan.samplingRate(), cfg.dpft().examplesPerUser(), mech);
      String releaseId = String.format("%s/dpft/step-%05d", runId, step);
      if (!ledger.contains(releaseId)) {
        ledger.append(LedgerEntry.poissonGaussian(releaseId, plan.samplingRate(), plan.noiseStddev(), plan.clip(), 1, runId,
            cfg.input().datasetName(), Instant.now()));
      }
      double[] g = DpSgdStep.noisyMeanGradient(sum, mech, plan.noiseStddev(), noiseFor(releaseId), expectedBatch);
      if ("adam".equals(cfg.dpft().optimizer())) {
        adam.step(params, g, cfg.dpft().learningRate());
      } else {
        Adam.sgd(params, g, cfg.dpft().learningRate());
      }
      boolean checkpoint = step % cfg.dpft().checkpointEvery() == 0 || step == plan.steps();
      if (checkpoint) {
        ModelFile.writeCheckpoint(checkpointFile(), new ModelFile.Checkpoint(runId, step, params, adam.m(), adam.v(), adam.t()));
      }
      if (checkpoint || step == done + 1) {
        double noisyNorm = 0;
        for (double x : g) {
          noisyNorm += x * x;
        }
        console.printf("step %d/%d  %6.1fs  epsilon spent %.4g  noisy update norm %.3g%s%n", step, plan.steps(),
            (System.nanoTime() - t0) / 1e9, plan.epsilon(step), Math.sqrt(noisyNorm), checkpoint ? "  (checkpoint)" : "");
      }
      if (checkpoint) {
        boundary.accept("step-" + step + "-checkpointed");
      }
    }
    return params;
  }

  private PoissonSampling samplingFor(int step) {
    String s = cfg.dpft().sampling();
    if ("secure".equals(s)) {
      return PoissonSampling.secure();
    }
    return PoissonSampling.seeded(Long.parseLong(s.substring("seeded:".length())), step);
  }

  private NoiseSource noiseFor(String releaseId) {
    // A seeded (test) source is re-derived per release so a resumed run draws the same values.
    if (noiseSpec instanceof SeededNoise seeded) {
      return new SeededNoise(mix(seeded.seed(), releaseId.substring(releaseId.indexOf('/') + 1).hashCode()));
    }
    return noiseSpec;
  }

  // ---------------------------------------------------------------- public side

  private int generate(FeedForwardLm model, Vocabulary vocab, double[] proportions) {
    int[] counts = Selection.allocate(proportions, cfg.generation().samples());
    List<int[]> jobs = new ArrayList<>();
    for (int l = 0; l < labels.size(); l++) {
      for (int i = 0; i < counts[l]; i++) {
        jobs.add(new int[] {l, i});
      }
    }
    double[] params = model.parameters();
    ThreadLocal<TextSampler> samplers = ThreadLocal.withInitial(() -> new TextSampler(
        new FeedForwardLm(model.shape(), params), cfg.generation().temperature(), cfg.generation().topK(),
        cfg.generation().topP(), cfg.generation().maxTokens()));
    String[] texts = new String[jobs.size()];
    IntStream.range(0, jobs.size()).parallel().forEach(j -> {
      int[] job = jobs.get(j);
      SplittableRandom rnd = new SplittableRandom(mix(cfg.generation().seed(), job[0], job[1]));
      texts[j] = vocab.decode(samplers.get().sample(job[0] + 1, rnd));
    });
    List<Row> rows = new ArrayList<>(texts.length);
    for (int j = 0; j < texts.length; j++) {
      rows.add(RowFactory.create(String.format("ft-%06d", j), texts[j], labels.get(jobs.get(j)[0]), plan.steps(), null));
    }
    spark.createDataFrame(rows, SYNTHETIC_SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite).parquet(run.synthetic().toString());
    return rows.size();
  }

  private void writeManifest(String status, int steps, int samples) {
    ObjectNode m = RunDirectory.JSON.createObjectNode();
    m.put("tool", "dpsynth");
    m.put("version", java.util.Objects.requireNonNullElse(DpFineTuning.class.getPackage().getImplementationVersion(), "dev"));
    m.put("method", "dp-fine-tuning");
    m.put("status", status);
    m.put("run_id", runId);
    m.put("written", Instant.now().toString());
    m.put("noise", noiseSpec.isSecure() ? "secure" : noiseSpec.description());
    m.put("sampling", "secure".equals(cfg.dpft().sampling()) ? "secure"
        : cfg.dpft().sampling() + " -- TEST ONLY, PREDICTABLE BATCHES");
    ObjectNode p = m.putObject("privacy");
    p.put("unit", "user");
    p.put("epsilon", plan.epsilon(plan.steps()));
    p.put("delta", plan.delta());
    p.put("sigma", plan.noiseMultiplier());
    p.put("noise_stddev", plan.noiseStddev());
    p.put("sensitivity", plan.clip());
    p.put("steps", plan.steps());
    p.put("sampling_rate", plan.samplingRate());
    p.put("accountant", "RDP (Poisson-subsampled Gaussian, integer orders; Mironov et al. 2019, Balle et al. 2020 conversion)");
    p.put("count_releases", plan.countReleases());
    p.put("count_noise_stddev", plan.countNoise());
    p.put("expected_batch_size", expectedBatch);
    p.put("expected_batch_size_source", cfg.dpft().dpUserCount() ? "dp user count" : "public config");
    if (dpUserCount != null) {
      p.put("dp_user_count", dpUserCount);
    }
    p.put("max_records_per_user", cfg.input().maxRecordsPerUser());
    p.put("examples_per_user_per_step", cfg.dpft().examplesPerUser());
    p.put("label_proportions", cfg.labels().proportions());
    p.put("ledger", run.root().relativize(run.ledger()).toString());
    ArrayNode labelNames = m.putArray("labels");
    labels.forEach(labelNames::add);
    m.put("steps_done", steps);
    m.put("synthetic_samples", samples);
    m.put("pretrained_model", cfg.model().pretrained());
    ObjectNode timings = m.putObject("timings");
    timings.put("elapsed_seconds", (System.nanoTime() - started) / 1e9);
    ObjectNode versions = m.putObject("versions");
    versions.put("spark", spark.version());
    versions.put("java", System.getProperty("java.version"));
    m.set("config", ConfigLoader.toTree(cfg));
    RunDirectory.writeJson(run.manifest(), m);
  }

  /** A public seed derived from several integers (SplitMix64 finaliser). */
  static long mix(long... parts) {
    long h = 0x9E3779B97F4A7C15L;
    for (long p : parts) {
      h ^= p + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2);
      h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
      h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
      h ^= h >>> 31;
    }
    return h;
  }
}
