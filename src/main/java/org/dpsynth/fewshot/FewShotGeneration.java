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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
import org.dpsynth.data.ContributionBounds;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.foundation.Generator;
import org.dpsynth.foundation.Models;
import org.dpsynth.foundation.local.LocalGenerator;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.NoiseSource;
import org.dpsynth.privacy.PldAccountant;
import org.dpsynth.privacy.PrivacyLedger;
import org.dpsynth.privacy.RdpAccountant;
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
public final class FewShotGeneration {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final SparkSession spark;
  private final FewShotConfig cfg;
  private final Path root;
  private final PrintStream console;

  public FewShotGeneration(SparkSession spark, FewShotConfig cfg, Path runDir, PrintStream console) {
    this.spark = spark;
    this.cfg = cfg;
    this.root = runDir;
    this.console = console;
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
    return root.resolve("public");
  }

  public Path privateDir() {
    return root.resolve("private");
  }

  public Path ledgerPath() {
    return root.resolve("privacy-ledger.jsonl");
  }

  /** The noise multiplier and ε of the configured run (public arithmetic only). */
  public static double[] plan(FewShotConfig cfg) {
    var f = cfg.fewshot();
    long steps = (long) f.demonstrationsPerLabel() * f.maxTokens();
    boolean pld = cfg.privacy().accountant().equals("pld");
    double delta = cfg.privacy().delta();
    double z = cfg.privacy().sigma() != null ? cfg.privacy().sigma()
        : pld ? PldAccountant.calibrateNoiseMultiplier(f.samplingRate(), cfg.privacy().epsilon(), delta, steps)
            : RdpAccountant.calibrateNoiseMultiplier(f.samplingRate(), cfg.privacy().epsilon(), delta, steps);
    double eps = pld ? PldAccountant.epsilon(f.samplingRate(), z, steps, delta)
        : RdpAccountant.epsilon(f.samplingRate(), z, steps, delta);
    return new double[] {z, eps, steps};
  }

  public Result run() {
    long t0 = System.nanoTime();
    var f = cfg.fewshot();
    List<String> labels = cfg.labels().names();
    NoiseSource noise = NoiseSource.parse(cfg.privacy().noise());
    if (!noise.isSecure()) {
      console.println("WARNING: noise = " + noise.description());
    }
    double[] plan = plan(cfg);
    double z = plan[0];
    double epsilon = plan[1];
    long steps = (long) plan[2];
    double noiseStddev = z * TokenDistributions.SENSITIVITY;
    try {
      Files.createDirectories(publicDir());
      Files.createDirectories(privateDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create run directory " + root, e);
    }
    Path manifest = publicDir().resolve("manifest.json");
    if (Files.exists(manifest) && readJson(manifest).path("complete").asBoolean(false)) {
      console.printf("run in %s is complete; nothing to do (epsilon = %.4g, delta = %.3g)%n", root, epsilon, cfg.privacy().delta());
      return new Result(epsilon, cfg.privacy().delta(), z, steps, readProgress(labels, f.demonstrationsPerLabel()));
    }
    ObjectNode state = loadOrCreateState(noise);
    String runId = state.get("run_id").asText();
    String releaseId = "fewshot/" + runId + "/tokens";
    PrivacyLedger ledger = PrivacyLedger.open(ledgerPath());
    if (!ledger.contains(releaseId)) {
      // Ledger first: the whole run's draws are charged before the first one is made.
      ledger.append(LedgerEntry.poissonGaussian(releaseId, f.samplingRate(), noiseStddev,
          TokenDistributions.SENSITIVITY, steps, runId, cfg.input().datasetName(), Instant.now()));
    } else {
      console.println("resuming run " + runId + " (already charged in the ledger; no new spend)");
    }
    console.printf("few-shot: %d labels x %d demonstrations, q = %.4g, M = %d, sigma (noise multiplier) = %.4g, epsilon = %.4g at delta = %.3g (%s, %d steps per label)%n",
        labels.size(), f.demonstrationsPerLabel(), f.samplingRate(), f.subsets(), z, epsilon, cfg.privacy().delta(),
        cfg.privacy().accountant(), steps);

    List<Demo> demos = readProgress(labels, f.demonstrationsPerLabel());
    int step = progressStep();
    SecretSampler sampler = new SecretSampler(HexFormat.of().parseHex(state.get("sampling_key").asText()));
    JavaRDD<UserPool> pools = pools(sampler).persist(StorageLevel.MEMORY_ONLY());
    Generator generator = Models.generator(cfg.generator(), null);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    try {
      while (step < f.maxTokens() && demos.stream().anyMatch(d -> !d.done())) {
        long ts = System.nanoTime();
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
            sum = new long[a.publicQuantized().length];
            for (int i = 0; i < sum.length; i++) {
              sum[i] = Math.multiplyExact(a.publicQuantized()[i], (long) f.subsets());
            }
          }
          double[] noisy = TokenDistributions.mechanism(a.candidates().size()).release(sum, noiseStddev, noise);
          String token = a.candidates().get(TokenDistributions.argmax(noisy));
          List<String> toks = new ArrayList<>(a.tokens());
          boolean done = token.equals(LocalGenerator.EOS_TOKEN) || token.equals("\n");
          if (!done) {
            toks.add(token);
          }
          done = done || toks.size() >= f.maxTokens();
          next.set(a.slot(), new Demo(a.labelName(), a.demo(), List.copyOf(toks), done));
        }
        demos = next;
        step++;
        writeProgress(step, demos); // released tokens persisted before the next step uses them
        console.printf("step %d/%d: %d demonstrations still open (%.1f s)%n", step, f.maxTokens(),
            demos.stream().filter(d -> !d.done()).count(), (System.nanoTime() - ts) / 1e9);
      }
    } finally {
      pools.unpersist(false);
    }
    writeDemonstrations(demos);
    writeManifest(manifest, z, epsilon, steps, noise, runId, (System.nanoTime() - t0) / 1e9);
    console.printf("done: %d demonstrations in %s; epsilon = %.4g at delta = %.3g%n", demos.size(),
        publicDir().resolve("demonstrations"), epsilon, cfg.privacy().delta());
    return new Result(epsilon, cfg.privacy().delta(), z, steps, demos);
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
      StepPlan p = plan();
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
      return out.iterator();
    }
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
        List<Tuple2<Long, String>> ex = new ArrayList<>();
        g._2().forEach(ex::add);
        ex.sort((x, y) -> Long.compareUnsigned(x._1(), y._1()));
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < Math.min(p.cap(), ex.size()); i++) {
          texts.add(ex.get(i)._2());
        }
        String prompt = FewShotPrompts.generation(p.instruction(), texts, a.labelName(), a.tokens());
        double[] dist = TokenDistributions.restricted(generator, prompt, a.candidates());
        long[] quantized = TokenDistributions.mechanism(a.candidates().size()).quantize(dist);
        out.add(new Tuple2<>(a.slot(), new Tuple2<>(quantized, 1)));
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
      long[] sum = t._2()._1().clone();
      long empty = p.subsets() - t._2()._2();
      for (int i = 0; i < sum.length; i++) {
        sum[i] = Math.addExact(sum[i], Math.multiplyExact(pub[i], empty));
      }
      return new Tuple2<>(t._1(), sum);
    }
  }

  // ------------------------------------------------------------------------------ run directory

  private ObjectNode loadOrCreateState(NoiseSource noise) {
    Path file = privateDir().resolve("fewshot-state.json");
    if (Files.exists(file)) {
      return (ObjectNode) readJson(file);
    }
    ObjectNode s = JSON.createObjectNode();
    s.put("run_id", UUID.randomUUID().toString());
    byte[] key = noise.isSecure() ? SecretSampler.newKey()
        : java.nio.ByteBuffer.allocate(32).putLong(cfg.fewshot().seed()).putLong(cfg.privacy().noise().hashCode()).array();
    s.put("sampling_key", HexFormat.of().formatHex(key));
    writeJson(file, s);
    return s;
  }

  private Path progressFile() {
    return publicDir().resolve("progress.json");
  }

  private int progressStep() {
    return Files.exists(progressFile()) ? readJson(progressFile()).path("step").asInt(0) : 0;
  }

  private List<Demo> readProgress(List<String> labels, int perLabel) {
    List<Demo> demos = new ArrayList<>();
    if (Files.exists(progressFile())) {
      for (JsonNode d : readJson(progressFile()).path("demonstrations")) {
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

  private void writeProgress(int step, List<Demo> demos) {
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
    writeJson(progressFile(), o);
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
        .parquet(publicDir().resolve("demonstrations").toString());
  }

  private void writeManifest(Path manifest, double z, double epsilon, long steps, NoiseSource noise, String runId, double seconds) {
    ObjectNode m = JSON.createObjectNode();
    m.put("job", "fewshot");
    m.put("complete", true);
    m.put("run_id", runId);
    m.put("epsilon", epsilon);
    m.put("delta", cfg.privacy().delta());
    m.put("accountant", cfg.privacy().accountant());
    m.put("epsilon_rdp_cross_check", RdpAccountant.epsilon(cfg.fewshot().samplingRate(), z, steps, cfg.privacy().delta()));
    m.put("sigma", z);
    m.put("noise_stddev", z * TokenDistributions.SENSITIVITY);
    m.put("sensitivity", TokenDistributions.SENSITIVITY);
    m.put("sampling_rate", cfg.fewshot().samplingRate());
    m.put("steps_per_label", steps);
    m.put("noise", noise.description());
    m.put("seconds", seconds);
    m.set("config", JSON.valueToTree(cfg));
    String v = FewShotGeneration.class.getPackage().getImplementationVersion();
    m.put("version", v == null ? "dev" : v);
    writeJson(manifest, m);
  }

  static JsonNode readJson(Path p) {
    try {
      return JSON.readTree(p.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  static void writeJson(Path p, JsonNode node) {
    try {
      Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
      Files.writeString(tmp, JSON.writeValueAsString(node));
      Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + p, e);
    }
  }
}
