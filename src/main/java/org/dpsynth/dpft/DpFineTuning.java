package org.dpsynth.dpft;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import org.apache.hadoop.fs.Path;
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
import org.dpsynth.config.DpftConfig;
import org.dpsynth.config.Modes;
import org.dpsynth.data.ContributionBounds;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.data.InputException;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.privacy.NoiseSource;
import org.dpsynth.run.ChargedRun;
import org.dpsynth.run.LabelShares;
import org.dpsynth.run.Persisted;
import org.dpsynth.run.PrivacyRunJob;
import org.dpsynth.run.PrivateRun;
import org.dpsynth.run.RunDirectory;
import org.dpsynth.run.RunManifest;
import org.dpsynth.run.Seeds;

/**
 * DP fine-tuning then sampling (Yue et al., ACL 2023, "Synthetic Text Generation with Differential
 * Privacy: A Simple and Practical Recipe") with user-level DP-SGD on Spark: load the public
 * pretrained {@link FeedForwardLm}, run T DP-SGD steps ({@link DpSgdStep} on executors via {@link
 * DpSgdJob}, noise and the optimiser on the driver), then sample texts per label with control
 * codes and write them as PE does ({@code public/synthetic/}: id, text, label, iteration,
 * parent_id).
 *
 * <p>The run follows the privacy-run protocol of {@link PrivateRun}: the DP counts and all T steps
 * (one "poisson-gaussian" entry) are charged to the dataset's ledger before the first draw. The
 * steps are released in segments that end at a checkpoint ({@code dpft.checkpoint_every}): a
 * segment's draws are used only inside it, and nothing derived from them is written or printed
 * until its checkpoint ({@code private/checkpoint.bin}) is committed. A crash inside a segment
 * therefore leaves its draws unobserved, and the resumed run redraws the segment from the last
 * checkpoint under the same charge.
 */
public final class DpFineTuning extends PrivacyRunJob {
  static final StructType SYNTHETIC_SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("text", DataTypes.StringType, false)
      .add("label", DataTypes.StringType, false)
      .add("iteration", DataTypes.IntegerType, false)
      .add("parent_id", DataTypes.StringType, true);
  /** The ledger name of the T DP-SGD steps; each segment's release is a part of it. */
  static final String STEPS = "dpft/steps";
  static final String USER_COUNT = "dpft/user-count";

  private final DpftConfig cfg;
  private final List<String> labels;
  private final DpftPlan plan;
  /** The record cap of the DP label release (labels.max_records_per_user, resolved; public). */
  private final int labelCap;
  private PrivateRun privateRun;
  private ChargedRun charged;
  private Double dpUserCount;
  private double expectedBatch;

  /**
   * @param runDir the run directory: a Hadoop URI, or a bare path on the default file system
   * @param boundary called with "step-N-checkpointed" after each checkpoint and the protocol's phase names (tests stop the driver there)
   */
  public DpFineTuning(SparkSession spark, DpftConfig cfg, String runDir, PrintStream console, Consumer<String> boundary) {
    super(spark, cfg, runDir, console, boundary);
    this.cfg = cfg;
    this.plan = DpftPlan.of(cfg);
    this.labels = CorpusReader.labelNames(cfg.input(), cfg.labels());
    this.labelCap = LabelShares.recordCap(cfg.labels(), cfg.input().maxRecordsPerUser(), plan.countNoise(), cfg.privacy().minUsers());
  }

  public Path checkpointFile() {
    return new Path(run.privateDir(), "checkpoint.bin");
  }

  public Path modelFile() {
    return new Path(run.publicDir(), "model.bin");
  }

  /** Runs or resumes the job; returns the fine-tuned parameters. */
  public double[] run() {
    privateRun = openRun("dpft", cfg);
    if (!"secure".equals(cfg.dpft().sampling())) {
      console.println("WARNING: user sampling is " + cfg.dpft().sampling() + " -- TEST ONLY: the batches are predictable");
    }
    ModelFile.Model pre = Pretraining.loadOrBuild(cfg.pretrain(), cfg.model().pretrained(), run.conf(), console);
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
    privateRun.preflight(charges());
    writeManifest("running", 0, 0);

    JavaRDD<UserExamples> users = privateUsers(pre.vocabulary());
    try {
      charged = privateRun.charge(charges()); // right before the first draw
      expectedBatch = expectedBatchSize(users);
      double[] proportions = labelProportions(users);
      double[] params = train(users, shape, pre.parameters());
      run.commit(modelFile(), ModelFile.modelBytes(new ModelFile.Model(shape, pre.vocabulary(), params,
          "dpsynth dpft run " + privateRun.runId() + " (DP-SGD; epsilon " + plan.epsilon(plan.steps()) + " at delta " + plan.delta() + ") from " + pre.provenance())));
      int written = generate(new FeedForwardLm(shape, params), pre.vocabulary(), proportions);
      double eps = plan.epsilon(plan.steps());
      writeManifest("complete", plan.steps(), written);
      console.printf("done: %d synthetic samples in %s; epsilon = %.4g at delta = %.3g (Poisson-subsampled Gaussian; noise: %s)%n",
          written, run.synthetic(), eps, plan.delta(), noiseSpec.description());
      return params;
    } finally {
      users.unpersist(false);
    }
  }

  /** The DP counts (if any) and all T steps as one Poisson-subsampled Gaussian charge. */
  private List<PrivateRun.Charge> charges() {
    List<PrivateRun.Charge> out = new ArrayList<>();
    if (cfg.dpft().dpUserCount()) {
      out.add(PrivateRun.Charge.gaussian(USER_COUNT, plan.countNoise(), 1.0, 1));
    }
    if (cfg.labels().dpProportions()) {
      out.add(LabelShares.charge(cfg.labels(), labelCap, plan.countNoise()));
    }
    out.add(PrivateRun.Charge.poissonGaussian(STEPS, plan.samplingRate(), plan.noiseStddev(), plan.clip(), plan.steps()));
    return out;
  }

  // ---------------------------------------------------------------- private side

  private JavaRDD<UserExamples> privateUsers(Vocabulary vocab) {
    Dataset<Row> corpus = CorpusReader.read(spark, cfg.input());
    Dataset<Row> bounded = ContributionBounds.apply(corpus, labels, cfg.input().maxRecordsPerUser(), cfg.dpft().seed()).cache();
    try {
      if (!run.isFile(run.diagnostics())) {
        Map<String, Long> diag = new LinkedHashMap<>(ContributionBounds.diagnostics(corpus, bounded, labels));
        ObjectNode d = RunDirectory.JSON.createObjectNode();
        d.put("note", "PRIVATE: exact counts over the private corpus; never share");
        diag.forEach(d::put);
        run.writeJson(run.diagnostics(), d);
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
    GridGaussianMechanism mech = new GridGaussianMechanism(1.0, 1);
    double noisy = charged.release(USER_COUNT, run.vectorRelease(new Path(run.publicDir(), "user-count.json"), "noisy_user_count", o -> {
      o.put("release", USER_COUNT);
      o.put("mechanism", "gaussian");
      o.put("noise_stddev", plan.countNoise());
      o.put("sensitivity", 1.0);
    }), noise -> mech.release(LabelShares.clippedSum(DpSgdJob.ones(users), mech, false), plan.countNoise(), noise))[0];
    dpUserCount = noisy;
    double n = Math.max(noisy, 1.0);
    console.printf("DP user count %.1f (noise stddev %.3g) -> expected batch size q*N = %.1f%n", noisy, plan.countNoise(), q * n);
    return q * n;
  }

  private double[] labelProportions(JavaRDD<UserExamples> users) {
    return LabelShares.ofRun(spark, charged, cfg.input(), cfg.labels(), labels, labelCap, cfg.dpft().seed(), plan.countNoise(),
        () -> DpSgdJob.labelCounts(users, labels.size()), console);
  }

  /** Model state after a number of completed steps. */
  private record State(int done, double[] params, Adam adam) {}

  private double[] train(JavaRDD<UserExamples> users, FeedForwardLm.Shape shape, double[] pretrained) {
    int n = shape.parameters();
    State state;
    if (run.isFile(checkpointFile())) {
      state = fromCheckpoint(readCheckpoint(n));
      console.printf("resuming after step %d from %s%n", state.done(), checkpointFile());
    } else {
      double[] params = pretrained.clone();
      // Label codes start as the pretrained "no label" code, so step 0 is the public model.
      int d = shape.embed();
      int codes = shape.vocab() * d;
      for (int k = 1; k < shape.codes(); k++) {
        System.arraycopy(params, codes, params, codes + k * d, d);
      }
      state = new State(0, params, new Adam(n));
    }
    GridGaussianMechanism mech = new GridGaussianMechanism(plan.clip(), n);
    int every = cfg.dpft().checkpointEvery();
    while (state.done() < plan.steps()) {
      long t0 = System.nanoTime();
      State before = state;
      int from = before.done() + 1;
      int to = Math.min(plan.steps(), (before.done() / every + 1) * every);
      ModelFile.Checkpoint c = charged.release(String.format("%s/%05d-%05d", STEPS, from, to), checkpointAfter(to, n),
          noise -> segment(users, shape, mech, before, to, noise));
      state = fromCheckpoint(c);
      double seconds = (System.nanoTime() - t0) / 1e9;
      privateRun.timing("dp-sgd", seconds);
      double moved = 0;
      for (int i = 0; i < n; i++) {
        moved += (state.params()[i] - before.params()[i]) * (state.params()[i] - before.params()[i]);
      }
      // Printed only now: the segment's draws are committed (checkpoint), so they are never redrawn.
      console.printf("step %d/%d  %6.1fs  epsilon spent %.4g  parameters moved %.3g since step %d  (checkpoint)%n", to, plan.steps(),
          seconds, plan.epsilon(to), Math.sqrt(moved), before.done());
      boundary.accept("step-" + to + "-checkpointed");
    }
    return state.params();
  }

  private State fromCheckpoint(ModelFile.Checkpoint c) {
    if (!c.runId().equals(privateRun.runId())) {
      throw new IllegalStateException(checkpointFile() + " belongs to another run");
    }
    return new State(c.step(), c.parameters(), new Adam(c.adamM(), c.adamV(), c.adamT()));
  }

  /** DP-SGD steps after {@code from.done()} through {@code to}; the result is only used once committed. */
  private ModelFile.Checkpoint segment(JavaRDD<UserExamples> users, FeedForwardLm.Shape shape, GridGaussianMechanism mech,
      State from, int to, NoiseSource noise) {
    double[] params = from.params().clone();
    Adam adam = from.adam().copy();
    for (int step = from.done() + 1; step <= to; step++) {
      long[] sum = DpSgdJob.gradientSum(users, shape, params, samplingFor(step), plan.samplingRate(), cfg.dpft().examplesPerUser(), mech);
      double[] g = DpSgdStep.noisyMeanGradient(sum, mech, plan.noiseStddev(), noise, expectedBatch);
      if (cfg.dpft().optimizer() == DpftConfig.Training.Optimizer.ADAM) {
        adam.step(params, g, cfg.dpft().learningRate());
      } else {
        Adam.sgd(params, g, cfg.dpft().learningRate());
      }
      boundary.accept("step-" + step + "-drawn");
    }
    return new ModelFile.Checkpoint(privateRun.runId(), to, params, adam.m(), adam.v(), adam.t());
  }

  /** The checkpoint after {@code step} steps, committed to {@code private/checkpoint.bin}. */
  private Persisted<ModelFile.Checkpoint> checkpointAfter(int step, int parameters) {
    return new Persisted<>() {
      @Override
      public boolean committed() {
        return run.isFile(checkpointFile()) && readCheckpoint(parameters).step() >= step;
      }

      @Override
      public ModelFile.Checkpoint read() {
        return readCheckpoint(parameters);
      }

      @Override
      public void commit(ModelFile.Checkpoint c) {
        run.commit(checkpointFile(), ModelFile.checkpointBytes(c));
      }
    };
  }

  private ModelFile.Checkpoint readCheckpoint(int parameters) {
    return ModelFile.readCheckpoint(run.read(checkpointFile()), parameters, checkpointFile().toString());
  }

  private PoissonSampling samplingFor(int step) {
    String s = cfg.dpft().sampling();
    if ("secure".equals(s)) {
      return PoissonSampling.secure();
    }
    return PoissonSampling.seeded(Long.parseLong(s.substring("seeded:".length())), step);
  }

  // ---------------------------------------------------------------- public side

  private int generate(FeedForwardLm model, Vocabulary vocab, double[] proportions) {
    int[] counts = LabelShares.allocate(proportions, cfg.generation().samples());
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
    ObjectNode m = RunManifest.of(privateRun, status, spark.version(), cfg);
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
    p.put("accountant", "Poisson-subsampled Gaussian: the smaller of the PLD and RDP bounds");
    p.put("count_releases", plan.countReleases());
    p.put("count_noise_multiplier", plan.countNoise());
    p.put("expected_batch_size", expectedBatch);
    p.put("expected_batch_size_source", cfg.dpft().dpUserCount() ? "dp user count" : "public config");
    if (dpUserCount != null) {
      p.put("dp_user_count", dpUserCount);
    }
    if (cfg.labels().dpProportions()) {
      p.put("label_shares", cfg.labels().users() ? "users" : "records");
      p.put("label_max_records_per_user", labelCap);
      p.put("label_sensitivity", LabelShares.bound(cfg.labels(), labelCap));
    }
    p.put("max_records_per_user", cfg.input().maxRecordsPerUser());
    p.put("examples_per_user_per_step", cfg.dpft().examplesPerUser());
    p.put("label_proportions", Modes.key(cfg.labels().proportions()));
    p.put("min_users", cfg.privacy().minUsers());
    p.put("dataset_epsilon", privateRun.datasetEpsilon());
    ArrayNode labelNames = m.putArray("labels");
    labels.forEach(labelNames::add);
    m.put("steps_done", steps);
    m.put("synthetic_samples", samples);
    m.put("pretrained_model", cfg.model().pretrained());
    RunManifest.write(privateRun, m);
  }

  /** A public seed derived from several integers. */
  static long mix(long... parts) {
    return Seeds.mix(parts);
  }
}
