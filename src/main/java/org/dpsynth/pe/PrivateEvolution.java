package org.dpsynth.pe;

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
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.config.JobConfig;
import org.dpsynth.config.Modes;
import org.dpsynth.data.ContributionBounds;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.data.InputException;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.run.ChargedRun;
import org.dpsynth.run.LabelShares;
import org.dpsynth.run.Persisted;
import org.dpsynth.run.PrivacyRunJob;
import org.dpsynth.run.PrivateRun;
import org.dpsynth.run.RunDirectory;
import org.dpsynth.run.RunManifest;
import org.dpsynth.run.Seeds;

/**
 * The Private Evolution driver with user-level DP (docs/design.md, "Private Evolution with user-level
 * DP"; Lin et al. 2024, Xie et al. 2024). Per iteration: embed the population, let every user's
 * records vote (clipped per user on executors, summed with a tree aggregate), release the sum once
 * with discrete Gaussian noise on the driver, threshold, select, and vary.
 *
 * <p>The run follows the privacy-run protocol of {@link PrivateRun}: every release (the label
 * shares and the T histograms) is charged to the dataset's ledger within its budget before the
 * first draw, and each noisy value is committed before it is used, so a resumed run never draws a
 * committed release twice.
 */
public final class PrivateEvolution extends PrivacyRunJob {
  /** The column of synthetic images (PNG bytes) in populations and the synthetic set. */
  public static final String IMAGE_COLUMN = "image";
  private static final StructType POPULATION_SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("text", DataTypes.StringType, false)
      .add("label", DataTypes.StringType, false)
      .add("iteration", DataTypes.IntegerType, false)
      .add("parent_id", DataTypes.StringType, true)
      .add("provenance", DataTypes.StringType, false); // generated | public (a copy of a public record)
  /** The image modality's population: PNG bytes in a binary {@code image} column instead of {@code text}. */
  private static final StructType IMAGE_POPULATION_SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add(IMAGE_COLUMN, DataTypes.BinaryType, false)
      .add("label", DataTypes.StringType, false)
      .add("iteration", DataTypes.IntegerType, false)
      .add("parent_id", DataTypes.StringType, true)
      .add("provenance", DataTypes.StringType, false);

  private final JobConfig cfg;
  private final List<String> labels;
  private final PrivacyPlan plan;
  /** The record cap of the DP label release (labels.max_records_per_user, resolved; public). */
  private final int labelCap;
  private final List<ObjectNode> iterationLog = new ArrayList<>();
  private PrivateRun privateRun;

  /**
   * Stage keys of {@code private/timings.json}, each summed over the run (next to {@code
   * iteration-t} and {@code private-embeddings}, the read and private embedding together): reading
   * and bounding the private corpus, embedding it (with its Parquet write), embedding the
   * synthetic populations, the vote jobs, the generator's calls, and writing populations, the
   * synthetic set, manifest and report.
   */
  public static final String STAGE_READ = "stage/read";
  public static final String STAGE_EMBED_PRIVATE = "stage/embed-private";
  public static final String STAGE_EMBED_SYNTHETIC = "stage/embed-synthetic";
  public static final String STAGE_VOTE = "stage/vote";
  public static final String STAGE_GENERATE = "stage/generate";
  public static final String STAGE_WRITE = "stage/write";
  private ChargedRun charged;

  /**
   * @param boundary called with a phase name ("private-embedded", "labels-released",
   *     "initial-population", "iteration-3-released", "iteration-3-selected", and the protocol's
   *     "charged", "drawn:NAME", "released:NAME") after each phase completes; tests use it to stop
   *     the driver at that point
   */
  public PrivateEvolution(SparkSession spark, JobConfig cfg, java.nio.file.Path runDir, PrintStream console, Consumer<String> boundary) {
    this(spark, cfg, uri(runDir), console, boundary);
  }

  /** @param runDir the run directory: a Hadoop URI, or a bare path on the default file system */
  public PrivateEvolution(SparkSession spark, JobConfig cfg, String runDir, PrintStream console, Consumer<String> boundary) {
    super(spark, cfg, runDir, console, boundary);
    this.cfg = cfg;
    this.labels = CorpusReader.labelNames(cfg.input(), cfg.labels());
    this.plan = PrivacyPlan.of(cfg);
    this.labelCap = LabelShares.recordCap(cfg.labels(), cfg.input().maxRecordsPerUser(), plan.labelNoiseMultiplier(), cfg.privacy().minUsers());
  }

  /** Runs (or resumes) the whole job and returns the final population. */
  public List<Sample> run() {
    privateRun = openRun("pe", cfg);
    console.printf("dpsynth pe: %d iterations, %d labels, target epsilon %.4g at delta %.3g -> noise multiplier sigma = %.4f (%d Gaussian releases)%n",
        cfg.pe().iterations(), labels.size(), plan.epsilon(), cfg.privacy().delta(), plan.noiseMultiplier(), plan.releases());
    if (plan.splitBudget()) {
      console.printf("label release: noise multiplier %.4f (labels.budget_share %.3g of the budget; the %d vote releases share the rest)%n",
          plan.labelNoiseMultiplier(), cfg.labels().budgetShare(), cfg.pe().iterations());
    }
    privateRun.preflight(charges());
    writeManifest("running", null);

    Dataset<Row> perUser = privateEmbeddings();
    boundary.accept("private-embedded");
    charged = privateRun.charge(charges()); // right before the first draw
    double[] proportions = labelProportions(perUser);
    if (cfg.labels().dpProportions()) {
      boundary.accept("labels-released");
    }

    List<Sample> population = initialPopulation(proportions);
    boundary.accept("initial-population");
    for (int t = 1; t <= cfg.pe().iterations(); t++) {
      long t0 = System.nanoTime();
      Path popDir = run.population(t);
      if (run.complete(popDir)) {
        population = readPopulation(popDir);
        console.printf("iteration %d/%d: already complete, resumed%n", t, cfg.pe().iterations());
        continue;
      }
      Histogram h = histogram(t, population, perUser);
      boundary.accept("iteration-" + t + "-released");
      double[] kept = Selection.threshold(h.noisy(), h.threshold());
      population = nextPopulation(t, population, kept, proportions);
      writePopulation(popDir, population);
      boundary.accept("iteration-" + t + "-selected");
      double above = 0;
      double positive = 0;
      for (int j = 0; j < kept.length; j++) {
        above += kept[j];
        positive += Math.max(0, h.noisy()[j]);
      }
      double spent = plan.epsilonAfter(releaseIndex(t) + 1, cfg.privacy().delta());
      double seconds = (System.nanoTime() - t0) / 1e9;
      privateRun.timing("iteration-" + t, seconds);
      console.printf("iteration %d/%d  %6.1fs  epsilon spent %.4g of %.4g  mass above threshold %.1f%% (%.1f votes)%n",
          t, cfg.pe().iterations(), seconds, spent, plan.epsilon(), positive > 0 ? 100 * above / positive : 0.0, above);
      ObjectNode it = RunDirectory.JSON.createObjectNode();
      it.put("iteration", t);
      it.put("epsilon_spent", spent);
      it.put("mass_above_threshold", above);
      it.put("noisy_mass", positive);
      it.put("population", population.size());
      iterationLog.add(it);
    }
    writeSynthetic(population);
    double total = plan.epsilonAfter(plan.releases(), cfg.privacy().delta());
    long w0 = System.nanoTime();
    writeManifest("complete", population);
    org.dpsynth.eval.RunReport.write(spark, run);
    privateRun.timing(STAGE_WRITE, (System.nanoTime() - w0) / 1e9);
    console.printf("done: %d synthetic samples in %s; epsilon = %.4g at delta = %.3g (noise: %s)%n",
        population.size(), run.synthetic(), total, cfg.privacy().delta(), noiseSpec.description());
    return population;
  }

  /** The run's id (after {@link #run} has started it). */
  public String runId() {
    return privateRun.runId();
  }

  /** Every release of the run: the DP label shares (if any, at the label noise multiplier) and one histogram per iteration at z. */
  private List<PrivateRun.Charge> charges() {
    List<PrivateRun.Charge> out = new ArrayList<>();
    if (cfg.labels().dpProportions()) {
      out.add(LabelShares.charge(cfg.labels(), labelCap, plan.labelNoiseMultiplier()));
    }
    for (int t = 1; t <= cfg.pe().iterations(); t++) {
      out.add(PrivateRun.Charge.gaussian("pe/iteration-" + t, plan.noiseStddev(), cfg.privacy().clip(), 1));
    }
    return out;
  }

  // ---------------------------------------------------------------- private side

  private Dataset<Row> privateEmbeddings() {
    Path dir = run.privateEmbeddings();
    if (!run.complete(dir)) {
      long t0 = System.nanoTime();
      console.println("embedding the private corpus (once per run; cached in private/)");
      Dataset<Row> corpus = CorpusReader.read(spark, cfg.input());
      Dataset<Row> bounded = ContributionBounds.apply(corpus, labels, cfg.input().maxRecordsPerUser(), cfg.pe().seed()).cache();
      Map<String, Long> diag = new LinkedHashMap<>(ContributionBounds.diagnostics(corpus, bounded, labels));
      long tRead = System.nanoTime(); // the diagnostics' counts read, bound and cache the corpus
      privateRun.timing(STAGE_READ, (tRead - t0) / 1e9);
      if (diag.get("records_after_bounding") == 0) {
        bounded.unpersist();
        throw new InputException(cfg.input().path() + ": no usable records (need a user id, a non-empty " + (cfg.input().images() ? "valid image" : "text")
            + " and a label from labels.names); "
            + "details in " + run.diagnostics());
      }
      long truncated = PrivateEmbeddings.computeAndStore(spark, bounded, cfg.embedder(), run.modelCache().toString(), dir.toString());
      privateRun.timing(STAGE_EMBED_PRIVATE, (System.nanoTime() - tRead) / 1e9);
      bounded.unpersist();
      diag.put("texts_truncated_by_embedder", truncated);
      ObjectNode d = RunDirectory.JSON.createObjectNode();
      d.put("note", "PRIVATE: exact counts over the private corpus; never share");
      diag.forEach(d::put);
      run.writeJson(run.diagnostics(), d);
      double seconds = (System.nanoTime() - t0) / 1e9;
      privateRun.timing("private-embeddings", seconds);
      console.printf("private corpus embedded in %.1fs (exact counts in private/diagnostics.json)%n", seconds);
    }
    return PrivateEmbeddings.load(spark, dir.toString()).cache();
  }

  private double[] labelProportions(Dataset<Row> perUser) {
    return LabelShares.ofRun(spark, charged, cfg.input(), cfg.labels(), labels, labelCap, cfg.pe().seed(), plan.labelNoiseMultiplier(),
        () -> PrivateEmbeddings.labelCounts(perUser, labels.size()), console);
  }

  /** Index of the release of iteration t in the run's sequence of releases. */
  private int releaseIndex(int t) {
    return (cfg.labels().dpProportions() ? 1 : 0) + t - 1;
  }

  private record Histogram(double[] noisy, double threshold) {}

  private Histogram histogram(int t, List<Sample> population, Dataset<Row> perUser) {
    double threshold = cfg.pe().threshold() * plan.noiseStddev();
    String name = "pe/iteration-" + t;
    GridGaussianMechanism mech = new GridGaussianMechanism(cfg.privacy().clip(), population.size());
    Persisted<double[]> file = run.vectorRelease(run.histogram(t), "noisy_votes", o -> {
      o.put("release", name);
      o.put("iteration", t);
      o.put("mechanism", "gaussian");
      o.put("noise_stddev", plan.noiseStddev());
      o.put("sensitivity", cfg.privacy().clip());
      o.put("threshold", threshold);
      ArrayNode ids = o.putArray("sample_ids");
      population.forEach(s -> ids.add(s.id()));
    });
    if (file.committed()) {
      console.printf("iteration %d: reusing the released histogram from disk%n", t);
    }
    double[] noisy = charged.release(name, file, noise -> {
      long e0 = System.nanoTime();
      float[][] embeddings = embedPopulation(t, population);
      long v0 = System.nanoTime();
      privateRun.timing(STAGE_EMBED_SYNTHETIC, (v0 - e0) / 1e9);
      int[] labelIdx = new int[population.size()];
      for (int j = 0; j < labelIdx.length; j++) {
        labelIdx[j] = labels.indexOf(population.get(j).label());
      }
      SyntheticIndex index = SyntheticIndex.build(embeddings, labelIdx, labels.size());
      long[] sum = VoteJob.histogram(perUser, index, cfg.pe().k(), NearestNeighbourKernel.Distance.parse(Modes.key(cfg.pe().distance())), mech);
      privateRun.timing(STAGE_VOTE, (System.nanoTime() - v0) / 1e9);
      return mech.release(sum, plan.noiseStddev(), noise);
    });
    return new Histogram(noisy, threshold);
  }

  // ---------------------------------------------------------------- public side (synthetic)

  private List<Sample> initialPopulation(double[] proportions) {
    Path dir = run.population(0);
    if (run.complete(dir)) {
      return readPopulation(dir);
    }
    int[] counts = LabelShares.allocate(proportions, cfg.pe().populationAt(0));
    List<ModelCalls.RandomTask> tasks = new ArrayList<>();
    List<String> taskLabels = new ArrayList<>();
    int chunk = 8;
    for (int l = 0; l < labels.size(); l++) {
      for (int start = 0, c = 0; start < counts[l]; start += chunk, c++) {
        int n = Math.min(chunk, counts[l] - start);
        tasks.add(new ModelCalls.RandomTask(labels.get(l), n, mix(cfg.pe().seed(), 0, l, c)));
        for (int i = 0; i < n; i++) {
          taskLabels.add(labels.get(l));
        }
      }
    }
    long g0 = System.nanoTime();
    List<org.dpsynth.foundation.Generator.Text> texts = ModelCalls.random(spark, cfg.generator(), cfg.input(), run.modelCache().toString(), tasks);
    privateRun.timing(STAGE_GENERATE, (System.nanoTime() - g0) / 1e9);
    if (texts.size() != taskLabels.size()) {
      throw new IllegalStateException("generator returned " + texts.size() + " random samples, expected " + taskLabels.size());
    }
    List<Sample> population = new ArrayList<>();
    for (int j = 0; j < texts.size(); j++) {
      population.add(new Sample(String.format("000-%06d", j), taskLabels.get(j), texts.get(j).text(), 0, null,
          texts.get(j).provenance().column()));
    }
    writePopulation(dir, population);
    console.printf("initial population: %d samples from the random API%n", population.size());
    return population;
  }

  private float[][] embedPopulation(int t, List<Sample> population) {
    List<String> texts = new ArrayList<>(population.size());
    population.forEach(s -> texts.add(s.text()));
    int lookahead = cfg.pe().lookahead();
    if (lookahead == 0) {
      return ModelCalls.embed(spark, cfg.embedder(), run.modelCache().toString(), texts);
    }
    // Lookahead: embed the mean of L variations of each sample (at the degree used next).
    double degree = cfg.pe().degreeAt(t);
    List<ModelCalls.VariationTask> tasks = new ArrayList<>();
    for (int j = 0; j < texts.size(); j++) {
      for (int r = 0; r < lookahead; r++) {
        tasks.add(new ModelCalls.VariationTask(population.get(j).label(), texts.get(j), degree, mix(cfg.pe().seed(), t, j, 1_000_000 + r)));
      }
    }
    List<String> variations = new ArrayList<>();
    ModelCalls.variations(spark, cfg.generator(), cfg.input(), run.modelCache().toString(), tasks).forEach(v -> variations.add(v.text()));
    float[][] e = ModelCalls.embed(spark, cfg.embedder(), run.modelCache().toString(), variations);
    int dim = e.length == 0 ? 0 : e[0].length;
    float[][] out = new float[texts.size()][dim];
    for (int j = 0; j < texts.size(); j++) {
      double norm = 0;
      for (int d = 0; d < dim; d++) {
        float s = 0;
        for (int r = 0; r < lookahead; r++) {
          s += e[j * lookahead + r][d];
        }
        out[j][d] = s;
        norm += (double) s * s;
      }
      float inv = norm > 0 ? (float) (1 / Math.sqrt(norm)) : 0f;
      for (int d = 0; d < dim; d++) {
        out[j][d] *= inv;
      }
    }
    return out;
  }

  private List<Sample> nextPopulation(int t, List<Sample> population, double[] kept, double[] proportions) {
    int[] counts = LabelShares.allocate(proportions, cfg.pe().populationAt(t));
    int fold = cfg.pe().fold();
    boolean keep = cfg.pe().keepSelected();
    double degree = cfg.pe().degreeAt(t);
    List<Sample> parents = new ArrayList<>();
    List<ModelCalls.VariationTask> tasks = new ArrayList<>();
    List<Integer> targetOfLabel = new ArrayList<>();
    List<Sample> next = new ArrayList<>();
    for (int l = 0; l < labels.size(); l++) {
      List<Integer> members = new ArrayList<>();
      for (int j = 0; j < population.size(); j++) {
        if (population.get(j).label().equals(labels.get(l))) {
          members.add(j);
        }
      }
      double[] w = new double[members.size()];
      for (int i = 0; i < w.length; i++) {
        w[i] = kept[members.get(i)];
      }
      int m = (int) Math.ceil(counts[l] / (double) (fold + (keep ? 1 : 0)));
      Selection.Choice choice = Selection.choose(w, m, Modes.key(cfg.pe().selection()), new SplittableRandom(mix(cfg.pe().seed(), t, l, 7)));
      if (choice.uniformFallback() && !members.isEmpty()) {
        console.printf("note: iteration %d, label %s: no votes above the threshold; selecting uniformly%n", t, labels.get(l));
      }
      for (int c = 0; c < choice.chosen().length; c++) {
        Sample parent = population.get(members.get(choice.chosen()[c]));
        parents.add(parent);
        for (int f = 0; f < fold; f++) {
          tasks.add(new ModelCalls.VariationTask(parent.label(), parent.text(), degree, mix(cfg.pe().seed(), t, parents.size(), f)));
          targetOfLabel.add(l);
        }
      }
    }
    long g0 = System.nanoTime();
    List<org.dpsynth.foundation.Generator.Text> varied = ModelCalls.variations(spark, cfg.generator(), cfg.input(), run.modelCache().toString(), tasks);
    privateRun.timing(STAGE_GENERATE, (System.nanoTime() - g0) / 1e9);
    int[] filled = new int[labels.size()];
    int v = 0;
    for (int p = 0; p < parents.size(); p++) {
      Sample parent = parents.get(p);
      int l = labels.indexOf(parent.label());
      if (keep && filled[l] < counts[l]) {
        next.add(new Sample(null, parent.label(), parent.text(), t, parent.id(), parent.provenance()));
        filled[l]++;
      }
      for (int f = 0; f < fold; f++, v++) {
        if (filled[l] < counts[l]) {
          org.dpsynth.foundation.Generator.Text vt = varied.get(v);
          // an unchanged text keeps its parent's provenance (the generator cannot know it)
          String provenance = vt.text().equals(parent.text()) ? parent.provenance() : vt.provenance().column();
          next.add(new Sample(null, parent.label(), vt.text(), t, parent.id(), provenance));
          filled[l]++;
        }
      }
    }
    List<Sample> named = new ArrayList<>(next.size());
    for (int j = 0; j < next.size(); j++) {
      Sample s = next.get(j);
      named.add(new Sample(String.format("%03d-%06d", t, j), s.label(), s.text(), t, s.parentId(), s.provenance()));
    }
    return named;
  }

  // ---------------------------------------------------------------- files

  private void writePopulation(Path dir, List<Sample> population) {
    long w0 = System.nanoTime();
    List<Row> rows = new ArrayList<>(population.size());
    boolean images = cfg.input().images();
    for (Sample s : population) {
      // the payload is opaque to the engine; only the file format knows images are PNG bytes
      Object payload = images ? java.util.Base64.getDecoder().decode(s.text()) : s.text();
      rows.add(RowFactory.create(s.id(), payload, s.label(), s.iteration(), s.parentId(), s.provenance()));
    }
    spark.createDataFrame(rows, images ? IMAGE_POPULATION_SCHEMA : POPULATION_SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite).parquet(dir.toString());
    privateRun.timing(STAGE_WRITE, (System.nanoTime() - w0) / 1e9);
  }

  private List<Sample> readPopulation(Path dir) {
    Dataset<Row> df = spark.read().parquet(dir.toString());
    boolean hasProvenance = List.of(df.columns()).contains("provenance"); // runs written before the column existed
    List<Row> rows = df.orderBy("id").collectAsList();
    List<Sample> out = new ArrayList<>(rows.size());
    boolean images = List.of(df.columns()).contains(IMAGE_COLUMN);
    for (Row r : rows) {
      String payload = images ? java.util.Base64.getEncoder().encodeToString(r.<byte[]>getAs(IMAGE_COLUMN)) : r.getAs("text");
      out.add(new Sample(r.getAs("id"), r.getAs("label"), payload, r.<Integer>getAs("iteration"), r.getAs("parent_id"),
          hasProvenance ? r.getAs("provenance") : "generated"));
    }
    return out;
  }

  private void writeSynthetic(List<Sample> population) {
    writePopulation(run.synthetic(), population);
    if (cfg.output().imageFolder()) { // the same PNG bytes as the Parquet, one file per image
      for (Sample s : population) {
        run.commit(new Path(run.syntheticImages(s.label()), s.id() + ".png"), java.util.Base64.getDecoder().decode(s.text()));
      }
    }
  }

  private void writeManifest(String status, List<Sample> population) {
    ObjectNode m = RunManifest.of(privateRun, status, spark.version(), cfg);
    ObjectNode p = m.putObject("privacy");
    p.put("unit", "user");
    p.put("epsilon", plan.epsilonAfter(plan.releases(), cfg.privacy().delta()));
    p.put("delta", cfg.privacy().delta());
    p.put("sigma", plan.noiseMultiplier());
    p.put("noise_stddev", plan.noiseStddev());
    p.put("sensitivity", cfg.privacy().clip());
    p.put("steps", plan.releases());
    p.put("accountant", "Gaussian DP (mu-GDP), exact composition");
    p.put("mu", plan.mu(plan.releases()));
    p.put("max_records_per_user", cfg.input().maxRecordsPerUser());
    p.put("label_proportions", Modes.key(cfg.labels().proportions()));
    if (cfg.labels().dpProportions()) {
      p.put("label_shares", cfg.labels().users() ? "users" : "records");
      p.put("label_max_records_per_user", labelCap);
      p.put("label_sensitivity", LabelShares.bound(cfg.labels(), labelCap));
      p.put("label_sigma", plan.labelNoiseMultiplier());
      p.put("label_budget_share", cfg.labels().budgetShare());
    }
    p.put("dataset_epsilon", privateRun.datasetEpsilon());
    ArrayNode labelNames = m.putArray("labels");
    labels.forEach(labelNames::add);
    m.set("iterations", RunDirectory.JSON.valueToTree(iterationLog));
    if (population != null) {
      m.put("synthetic_samples", population.size());
    }
    RunManifest.write(privateRun, m);
  }

  /** A public seed derived from several integers. */
  static long mix(long... parts) {
    return Seeds.mix(parts);
  }
}
