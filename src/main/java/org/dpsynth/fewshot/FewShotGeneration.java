package org.dpsynth.fewshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.dpsynth.config.FewShotConfig;
import org.dpsynth.config.Modes;
import org.dpsynth.data.ContributionBounds;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.foundation.Generator;
import org.dpsynth.foundation.Models;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.privacy.NoiseSource;
import org.dpsynth.privacy.PldAccountant;
import org.dpsynth.privacy.RdpAccountant;
import org.dpsynth.run.ChargedRun;
import org.dpsynth.run.Persisted;
import org.dpsynth.run.PrivacyRunJob;
import org.dpsynth.run.PrivateRun;
import org.dpsynth.run.RunManifest;
import scala.Tuple2;

/**
 * DP few-shot generation (Tang et al., ICLR 2024, "Privacy-Preserving In-Context Learning with DP
 * Few-Shot Generation") with user-level DP, run on Spark in lockstep.
 *
 * <p>Each user joins exactly one label pool (one of their labels, by the secret sampler) with at
 * most {@code max_records_per_user} records. For every label ℓ, demonstration d and token step t,
 * each user of ℓ's pool is Poisson-sampled with rate q (secret HMAC randomness), assigned to one
 * of a FIXED number M of subsets and contributes ONE of their examples. Each subset's prompt
 * (instruction, at most {@code max_examples_per_subset} of its examples, the label header, the
 * tokens released so far) gives a next-token distribution restricted to the public candidates
 * (top-k of the prompt without private examples; an empty subset uses that public prompt). The sum
 * of the M quantised distributions has L2 sensitivity Δ = √2 + 2^-14 under adding or removing one
 * user (only that user's subset changes; {@link TokenDistributions}); with M fixed the sum and the
 * average differ by a public constant, so the argmax of the noisy sum is the argmax of the noisy
 * average. The driver adds discrete Gaussian noise with stddev z·Δ (grid mechanism, secure
 * sampler) and appends the argmax token; a demonstration stops at end of text or max_tokens.
 *
 * <p>Accounting: a user's data only influences the draws of their own label, so labels compose in
 * parallel; within a label the D·max_tokens draws are D·max_tokens Poisson-subsampled Gaussian
 * steps (rate q, noise multiplier z), composed with the PLD (or RDP) accountant. The whole run is
 * charged to the ledger as one such entry BEFORE the first draw, for the maximum number of steps
 * (stopping early is post-processing of released tokens and is not refunded).
 */
public final class FewShotGeneration extends PrivacyRunJob {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** The ledger name of the run's single charge; each step's release is a part of it. */
  static final String TOKENS = "fewshot/tokens";

  private final FewShotConfig cfg;

  public FewShotGeneration(SparkSession spark, FewShotConfig cfg, java.nio.file.Path runDir, PrintStream console) {
    this(spark, cfg, uri(runDir), console, phase -> {});
  }

  /**
   * @param runDir the run directory: a Hadoop URI, or a bare path on the default file system
   * @param boundary called with the protocol's phase names ({@link PrivateRun#open}); tests stop the driver there
   */
  public FewShotGeneration(SparkSession spark, FewShotConfig cfg, String runDir, PrintStream console, Consumer<String> boundary) {
    super(spark, cfg, runDir, console, boundary);
    this.cfg = cfg;
  }

  /** What the run released. */
  public record Result(double epsilon, double delta, double noiseMultiplier, long steps, List<Demo> demos) {}

  /** One generated demonstration. */
  public record Demo(String label, int index, List<String> tokens, boolean done) implements Serializable {
    public String text() {
      return FewShotPrompts.detokenize(tokens);
    }
  }

  public Path publicDir() {
    return run.publicDir();
  }

  public Path privateDir() {
    return run.privateDir();
  }

  /** The noise multiplier and ε of the configured run (public arithmetic only). */
  public static double[] plan(FewShotConfig cfg) {
    var f = cfg.fewshot();
    long steps = (long) f.demonstrationsPerLabel() * f.maxTokens();
    boolean pld = cfg.privacy().accountant() == FewShotConfig.Privacy.Accountant.PLD;
    double delta = cfg.privacy().delta();
    double z = cfg.privacy().sigma() != null ? cfg.privacy().sigma()
        : pld ? PldAccountant.calibrateNoiseMultiplier(f.samplingRate(), cfg.privacy().epsilon(), delta, steps)
            : RdpAccountant.calibrateNoiseMultiplier(f.samplingRate(), cfg.privacy().epsilon(), delta, steps);
    double eps = pld ? PldAccountant.epsilon(f.samplingRate(), z, steps, delta)
        : RdpAccountant.epsilon(f.samplingRate(), z, steps, delta);
    return new double[] {z, eps, steps};
  }

  public Result run() {
    var f = cfg.fewshot();
    List<String> labels = cfg.labels().names();
    NoiseSource noise = noiseSpec;
    PrivateRun privateRun = openRun("fewshot", cfg);
    double[] plan = plan(cfg);
    double z = plan[0];
    double epsilon = plan[1];
    long steps = (long) plan[2];
    double noiseStddev = z * TokenDistributions.SENSITIVITY;
    if (run.isFile(run.manifest()) && "complete".equals(run.readJson(run.manifest()).path("status").asText())) {
      console.printf("run in %s is complete; nothing to do (epsilon = %.4g, delta = %.3g)%n", run.root(), epsilon, cfg.privacy().delta());
      return new Result(epsilon, cfg.privacy().delta(), z, steps, readProgress(labels, f.demonstrationsPerLabel()));
    }
    List<PrivateRun.Charge> charges = List.of(PrivateRun.Charge.poissonGaussian(TOKENS, f.samplingRate(), noiseStddev,
        TokenDistributions.SENSITIVITY, steps));
    privateRun.preflight(charges);
    ObjectNode state = loadOrCreateState(noise);
    console.printf("few-shot: %d labels x %d demonstrations, q = %.4g, M = %d, sigma (noise multiplier) = %.4g, epsilon = %.4g at delta = %.3g (%s, %d steps per label)%n",
        labels.size(), f.demonstrationsPerLabel(), f.samplingRate(), f.subsets(), z, epsilon, cfg.privacy().delta(),
        Modes.key(cfg.privacy().accountant()), steps);
    writeManifest(privateRun, "running", z, epsilon, steps);

    List<Demo> initial = readProgress(labels, f.demonstrationsPerLabel());
    int done = progressStep();
    SecretSampler sampler = new SecretSampler(HexFormat.of().parseHex(state.get("sampling_key").asText()));
    JavaRDD<UserPool> pools = pools(sampler).persist(StorageLevel.MEMORY_ONLY());
    Generator generator = Models.generator(cfg.generator(), null);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Demo> demos = initial;
    // The whole run's draws are charged before the first one is made.
    ChargedRun charged = privateRun.charge(charges);
    try {
      for (int step = done; step < f.maxTokens() && demos.stream().anyMatch(d -> !d.done()); step++) {
        long ts = System.nanoTime();
        final int s = step;
        final List<Demo> before = demos;
        demos = charged.release(String.format("%s/step-%04d", TOKENS, step + 1), progressAfter(step + 1),
            stepNoise -> drawStep(jsc, pools, sampler, generator, before, s, noiseStddev, stepNoise));
        double seconds = (System.nanoTime() - ts) / 1e9;
        privateRun.timing("token-steps", seconds);
        console.printf("step %d/%d: %d demonstrations still open (%.1f s)%n", step + 1, f.maxTokens(),
            demos.stream().filter(d -> !d.done()).count(), seconds);
      }
    } finally {
      pools.unpersist(false);
    }
    writeDemonstrations(demos);
    writeManifest(privateRun, "complete", z, epsilon, steps);
    console.printf("done: %d demonstrations in %s; epsilon = %.4g at delta = %.3g%n", demos.size(),
        new Path(publicDir(), "demonstrations"), epsilon, cfg.privacy().delta());
    return new Result(epsilon, cfg.privacy().delta(), z, steps, demos);
  }

  /**
   * One token step for every open demonstration: the exact sums over subsets (executors), noise on
   * the driver, the argmax token appended. Returns the demonstrations after the step; nothing is
   * written or printed here (the protocol commits the result first).
   */
  private List<Demo> drawStep(JavaSparkContext jsc, JavaRDD<UserPool> pools, SecretSampler sampler, Generator generator,
      List<Demo> demos, int step, double noiseStddev, NoiseSource noise) {
    var f = cfg.fewshot();
    List<String> labels = cfg.labels().names();
    List<Active> active = new ArrayList<>();
    for (int slot = 0; slot < demos.size(); slot++) {
      Demo d = demos.get(slot);
      if (d.done()) {
        continue;
      }
      int label = labels.indexOf(d.label());
      String publicPrompt = FewShotPrompts.generation(f.instruction(), List.of(), d.label(), d.tokens());
      List<String> cand = TokenDistributions.candidates(generator, publicPrompt, f.candidates());
      GridGaussianMechanism mech = TokenDistributions.mechanism(cand.size());
      long[] pub = mech.quantize(TokenDistributions.restricted(generator, publicPrompt, cand));
      active.add(new Active(slot, label, d.index(), d.label(), List.copyOf(d.tokens()), cand, pub));
    }
    Map<Integer, long[]> sums = stepSums(jsc, pools, sampler, active, step);
    List<Demo> next = new ArrayList<>(demos);
    for (Active a : active) {
      long[] sum = sums.get(a.slot());
      if (sum == null) { // no user of this label was sampled: every subset used the public prompt
        sum = FillEmptySubsets.publicOnly(a.publicQuantized(), f.subsets());
      }
      double[] noisy = TokenDistributions.mechanism(a.candidates().size()).release(sum, noiseStddev, noise);
      String token = a.candidates().get(TokenDistributions.argmax(noisy));
      List<String> toks = new ArrayList<>(a.tokens());
      boolean done = token.equals(generator.endOfText()) || token.equals("\n");
      if (!done) {
        toks.add(token);
      }
      done = done || toks.size() >= f.maxTokens();
      next.set(a.slot(), new Demo(a.labelName(), a.demo(), List.copyOf(toks), done));
    }
    return List.copyOf(next);
  }

  /** One open demonstration of a step (public values only). */
  record Active(int slot, int label, int demo, String labelName, List<String> tokens,
      List<String> candidates, long[] publicQuantized) implements Serializable {}

  /** One user's examples in the one label pool they join (a plain class: Kryo cannot build records). */
  static final class UserPool implements Serializable {
    private final String user;
    private final int label;
    private final String[] texts;

    UserPool(String user, int label, String[] texts) {
      this.user = user;
      this.label = label;
      this.texts = texts;
    }

    String user() {
      return user;
    }

    int label() {
      return label;
    }

    String[] texts() {
      return texts;
    }
  }

  /** Users → one label each (secret choice among their labels), ≤ max_records_per_user records. */
  private JavaRDD<UserPool> pools(SecretSampler sampler) {
    Dataset<Row> corpus = CorpusReader.read(spark, cfg.input());
    Dataset<Row> bounded = ContributionBounds.apply(corpus, cfg.labels().names(),
        cfg.input().maxRecordsPerUser(), cfg.fewshot().seed());
    return bounded.select(CorpusReader.USER, CorpusReader.TEXT, ContributionBounds.LABEL_INDEX)
        .javaRDD()
        .mapToPair(new ByUser())
        .groupByKey()
        .map(new ToPool(sampler));
  }

  static final class ByUser implements org.apache.spark.api.java.function.PairFunction<Row, String, Tuple2<Integer, String>> {
    @Override
    public Tuple2<String, Tuple2<Integer, String>> call(Row r) {
      return new Tuple2<>(r.getString(0), new Tuple2<>(((Number) r.get(2)).intValue(), r.getString(1)));
    }
  }

  static final class ToPool implements org.apache.spark.api.java.function.Function<Tuple2<String, Iterable<Tuple2<Integer, String>>>, UserPool> {
    private final SecretSampler sampler;

    ToPool(SecretSampler sampler) {
      this.sampler = sampler;
    }

    @Override
    public UserPool call(Tuple2<String, Iterable<Tuple2<Integer, String>>> g) {
      int best = -1;
      long bestBits = 0;
      List<Tuple2<Integer, String>> all = new ArrayList<>();
      for (Tuple2<Integer, String> t : g._2()) {
        all.add(t);
      }
      for (Tuple2<Integer, String> t : all) {
        long b = sampler.bits('l', g._1(), t._1(), 0, 0);
        if (best < 0 || Long.compareUnsigned(b, bestBits) < 0) {
          best = t._1();
          bestBits = b;
        }
      }
      int label = best;
      List<String> texts = new ArrayList<>();
      for (Tuple2<Integer, String> t : all) {
        if (t._1() == label) {
          texts.add(t._2());
        }
      }
      texts.sort(null); // the example choice below must not depend on input order
      return new UserPool(g._1(), label, texts.toArray(new String[0]));
    }
  }

  /** One Spark job: every (open demonstration, subset) distribution, summed per demonstration on executors. */
  private Map<Integer, long[]> stepSums(JavaSparkContext jsc, JavaRDD<UserPool> pools, SecretSampler sampler,
      List<Active> active, int step) {
    var f = cfg.fewshot();
    // Broadcast as Java-serialised bytes: Kryo (the configured serializer) cannot build records.
    Broadcast<byte[]> plan = jsc.broadcast(StepPlan.encode(new StepPlan(active, sampler, f.samplingRate(),
        f.subsets(), f.maxExamplesPerSubset(), step, f.instruction(), cfg.generator())));
    try {
      JavaPairRDD<Integer, Tuple2<Long, String>> draws = pools.flatMapToPair(new Draw(plan));
      return draws.groupByKey()
          .mapPartitionsToPair(new SubsetDistributions(plan))
          .reduceByKey(new AddSums())
          .mapToPair(new FillEmptySubsets(plan))
          .collectAsMap();
    } finally {
      plan.destroy();
    }
  }

  record StepPlan(List<Active> active, SecretSampler sampler, double q, int subsets, int cap, int step,
      String instruction, org.dpsynth.config.JobConfig.Generator generator) implements Serializable {

    static byte[] encode(StepPlan p) {
      try (var bytes = new java.io.ByteArrayOutputStream(); var out = new java.io.ObjectOutputStream(bytes)) {
        out.writeObject(p);
        out.flush();
        return bytes.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    static StepPlan decode(byte[] b) {
      try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(b))) {
        return (StepPlan) in.readObject();
      } catch (IOException | ClassNotFoundException e) {
        throw new IllegalStateException("cannot decode the step plan", e);
      }
    }
  }

  /** Decodes a broadcast plan once per deserialised function instance. */
  abstract static class WithPlan implements Serializable {
    private final Broadcast<byte[]> plan;
    private transient StepPlan decoded;

    WithPlan(Broadcast<byte[]> plan) {
      this.plan = plan;
    }

    StepPlan plan() {
      if (decoded == null) {
        decoded = StepPlan.decode(plan.value());
      }
      return decoded;
    }
  }

  /** Poisson sampling: each sampled user gives one example to one subset of each open demo of its label. */
  static final class Draw extends WithPlan implements org.apache.spark.api.java.function.PairFlatMapFunction<UserPool, Integer, Tuple2<Long, String>> {
    Draw(Broadcast<byte[]> plan) {
      super(plan);
    }

    @Override
    public Iterator<Tuple2<Integer, Tuple2<Long, String>>> call(UserPool u) {
      return draws(plan(), u).iterator();
    }
  }

  /**
   * Poisson sampling of one user for every open demonstration of its label: a sampled user gives
   * one of its examples (secret choice) to one of the M subsets (secret choice), keyed by
   * slot·M + subset, with a secret rank that orders the subset's examples.
   */
  static List<Tuple2<Integer, Tuple2<Long, String>>> draws(StepPlan p, UserPool u) {
    List<Tuple2<Integer, Tuple2<Long, String>>> out = new ArrayList<>();
    for (Active a : p.active()) {
      if (a.label() != u.label() || !p.sampler().sampled(p.q(), u.user(), a.label(), a.demo(), p.step())) {
        continue;
      }
      int subset = p.sampler().index('j', p.subsets(), u.user(), a.label(), a.demo(), p.step());
      String text = u.texts()[p.sampler().index('x', u.texts().length, u.user(), a.label(), a.demo(), p.step())];
      long rank = p.sampler().bits('r', u.user(), a.label(), a.demo(), p.step());
      out.add(new Tuple2<>(a.slot() * p.subsets() + subset, new Tuple2<>(rank, text)));
    }
    return out;
  }

  /**
   * One non-empty subset's next-token distribution: its prompt holds at most {@code cap} of its
   * examples (lowest secret rank first), restricted to the public candidates and quantised.
   */
  static long[] subsetDistribution(StepPlan p, Generator generator, Active a, Iterable<Tuple2<Long, String>> examples) {
    List<Tuple2<Long, String>> ex = new ArrayList<>();
    examples.forEach(ex::add);
    ex.sort((x, y) -> Long.compareUnsigned(x._1(), y._1()));
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < Math.min(p.cap(), ex.size()); i++) {
      texts.add(ex.get(i)._2());
    }
    String prompt = FewShotPrompts.generation(p.instruction(), texts, a.labelName(), a.tokens());
    double[] dist = TokenDistributions.restricted(generator, prompt, a.candidates());
    return TokenDistributions.mechanism(a.candidates().size()).quantize(dist);
  }

  /** Model calls: each non-empty subset's restricted, quantised next-token distribution. */
  static final class SubsetDistributions extends WithPlan implements org.apache.spark.api.java.function.PairFlatMapFunction<
      Iterator<Tuple2<Integer, Iterable<Tuple2<Long, String>>>>, Integer, Tuple2<long[], Integer>> {
    SubsetDistributions(Broadcast<byte[]> plan) {
      super(plan);
    }

    @Override
    public Iterator<Tuple2<Integer, Tuple2<long[], Integer>>> call(Iterator<Tuple2<Integer, Iterable<Tuple2<Long, String>>>> it) {
      StepPlan p = plan();
      Generator generator = Models.generator(p.generator(), null);
      Map<Integer, Active> bySlot = new java.util.HashMap<>();
      for (Active a : p.active()) {
        bySlot.put(a.slot(), a);
      }
      List<Tuple2<Integer, Tuple2<long[], Integer>>> out = new ArrayList<>();
      while (it.hasNext()) {
        var g = it.next();
        Active a = bySlot.get(g._1() / p.subsets());
        out.add(new Tuple2<>(a.slot(), new Tuple2<>(subsetDistribution(p, generator, a, g._2()), 1)));
      }
      return out.iterator();
    }
  }

  static final class AddSums implements org.apache.spark.api.java.function.Function2<Tuple2<long[], Integer>, Tuple2<long[], Integer>, Tuple2<long[], Integer>> {
    @Override
    public Tuple2<long[], Integer> call(Tuple2<long[], Integer> a, Tuple2<long[], Integer> b) {
      return new Tuple2<>(GridGaussianMechanism.addInto(a._1().clone(), b._1()), a._2() + b._2());
    }
  }

  /** Empty subsets contribute the public prompt's distribution, so M stays fixed. */
  static final class FillEmptySubsets extends WithPlan implements org.apache.spark.api.java.function.PairFunction<Tuple2<Integer, Tuple2<long[], Integer>>, Integer, long[]> {
    FillEmptySubsets(Broadcast<byte[]> plan) {
      super(plan);
    }

    @Override
    public Tuple2<Integer, long[]> call(Tuple2<Integer, Tuple2<long[], Integer>> t) {
      StepPlan p = plan();
      long[] pub = p.active().stream().filter(a -> a.slot() == t._1()).findFirst().orElseThrow().publicQuantized();
      return new Tuple2<>(t._1(), fill(t._2()._1(), pub, p.subsets() - t._2()._2()));
    }

    /** The sum of {@code nonEmpty} plus the public prompt's distribution for each of the {@code empty} subsets. */
    static long[] fill(long[] nonEmpty, long[] publicQuantized, long empty) {
      long[] sum = nonEmpty.clone();
      for (int i = 0; i < sum.length; i++) {
        sum[i] = Math.addExact(sum[i], Math.multiplyExact(publicQuantized[i], empty));
      }
      return sum;
    }

    /** The sum when no user of the label was sampled: all M subsets use the public prompt. */
    static long[] publicOnly(long[] publicQuantized, int subsets) {
      return fill(new long[publicQuantized.length], publicQuantized, subsets);
    }
  }

  // ------------------------------------------------------------------------------ run directory

  private ObjectNode loadOrCreateState(NoiseSource noise) {
    Path file = new Path(privateDir(), "fewshot-state.json");
    if (run.isFile(file)) {
      return (ObjectNode) run.readJson(file);
    }
    ObjectNode s = JSON.createObjectNode();
    byte[] key = noise.isSecure() ? SecretSampler.newKey()
        : java.nio.ByteBuffer.allocate(32).putLong(cfg.fewshot().seed()).putLong(cfg.privacy().noise().hashCode()).array();
    s.put("sampling_key", HexFormat.of().formatHex(key));
    run.writeJson(file, s);
    return s;
  }

  private Path progressFile() {
    return new Path(publicDir(), "progress.json");
  }

  private int progressStep() {
    return run.isFile(progressFile()) ? run.readJson(progressFile()).path("step").asInt(0) : 0;
  }

  private List<Demo> readProgress(List<String> labels, int perLabel) {
    List<Demo> demos = new ArrayList<>();
    if (run.isFile(progressFile())) {
      for (JsonNode d : run.readJson(progressFile()).path("demonstrations")) {
        List<String> toks = new ArrayList<>();
        d.path("tokens").forEach(t -> toks.add(t.asText()));
        demos.add(new Demo(d.get("label").asText(), d.get("index").asInt(), List.copyOf(toks), d.get("done").asBoolean()));
      }
      return demos;
    }
    for (String l : labels) {
      for (int i = 0; i < perLabel; i++) {
        demos.add(new Demo(l, i, List.of(), false));
      }
    }
    return demos;
  }

  /** The released tokens after {@code step} steps, committed to {@code public/progress.json}. */
  private Persisted<List<Demo>> progressAfter(int step) {
    return new Persisted<>() {
      @Override
      public boolean committed() {
        return progressStep() >= step;
      }

      @Override
      public List<Demo> read() {
        return readProgress(cfg.labels().names(), cfg.fewshot().demonstrationsPerLabel());
      }

      @Override
      public void commit(List<Demo> demos) {
        ObjectNode o = JSON.createObjectNode();
        o.put("step", step);
        ArrayNode arr = o.putArray("demonstrations");
        for (Demo d : demos) {
          ObjectNode n = arr.addObject();
          n.put("label", d.label());
          n.put("index", d.index());
          n.put("done", d.done());
          ArrayNode t = n.putArray("tokens");
          d.tokens().forEach(t::add);
        }
        run.writeJson(progressFile(), o);
      }
    };
  }

  private void writeDemonstrations(List<Demo> demos) {
    StructType schema = new StructType()
        .add("label", DataTypes.StringType, false)
        .add("text", DataTypes.StringType, false)
        .add("tokens", DataTypes.createArrayType(DataTypes.StringType), false);
    List<Row> rows = new ArrayList<>();
    for (Demo d : demos) {
      rows.add(RowFactory.create(d.label(), d.text(), d.tokens().toArray(new String[0])));
    }
    spark.createDataFrame(rows, schema).coalesce(1).write().mode("overwrite")
        .parquet(new Path(publicDir(), "demonstrations").toString());
  }

  private void writeManifest(PrivateRun run, String status, double z, double epsilon, long steps) {
    ObjectNode m = RunManifest.of(run, status, spark.version(), cfg);
    ObjectNode p = m.putObject("privacy");
    p.put("unit", "user");
    p.put("epsilon", epsilon);
    p.put("delta", cfg.privacy().delta());
    p.put("accountant", Modes.key(cfg.privacy().accountant()));
    p.put("epsilon_rdp_cross_check", RdpAccountant.epsilon(cfg.fewshot().samplingRate(), z, steps, cfg.privacy().delta()));
    p.put("sigma", z);
    p.put("noise_stddev", z * TokenDistributions.SENSITIVITY);
    p.put("sensitivity", TokenDistributions.SENSITIVITY);
    p.put("sampling_rate", cfg.fewshot().samplingRate());
    p.put("steps_per_label", steps);
    p.put("max_records_per_user", cfg.input().maxRecordsPerUser());
    p.put("min_users", cfg.privacy().minUsers());
    p.put("dataset_epsilon", run.datasetEpsilon());
    ArrayNode names = m.putArray("labels");
    cfg.labels().names().forEach(names::add);
    RunManifest.write(run, m);
  }
}
