package org.dpsynth.dpft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.DpftConfig;
import org.dpsynth.text.PublicCorpus;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.PrivacyBudget;
import org.dpsynth.testing.RunLedger;
import org.dpsynth.privacy.SeededNoise;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DP fine-tuning on Spark (local[2]) with a tiny pretrained model. */
class DpFineTuningTest {
  @TempDir static Path dir;
  static Path pretrained;

  @BeforeAll
  static void pretrainTinyModel() {
    pretrained = dir.resolve("tiny.bin");
    DpftConfig cfg = config(List.of());
    List<String> texts = PublicCorpus.readJsonl(Path.of(cfg.pretrain().corpus())).subList(0, 300);
    ModelFile.writeModel(pretrained, Pretraining.train(cfg.pretrain(), texts, new PrintStream(new ByteArrayOutputStream())));
  }

  static DpftConfig config(List<String> extra) {
    List<String> o = new ArrayList<>(List.of(
        "labels.names=[computers, education, food, law, love, politics, science, sports]",
        "labels.proportions=dp",
        "model.pretrained=" + (pretrained == null ? "unused" : pretrained),
        "pretrain.vocab_size=120", "pretrain.embed_dim=4", "pretrain.hidden=6", "pretrain.epochs=1",
        "pretrain.max_labels=8", "pretrain.threads=1",
        "dpft.steps=4", "dpft.sampling_rate=0.1", "dpft.checkpoint_every=2", "dpft.sampling=seeded:5",
        "dpft.partitions=2", "privacy.noise=seeded:9", "privacy.epsilon=4",
        "generation.samples=16"));
    o.addAll(extra);
    return DpftConfig.load(null, o);
  }

  /** Rebuilt config: the pretrain section must match the file's provenance (built before the path was known). */
  static DpftConfig runConfig() {
    return config(List.of());
  }

  @Test
  void runWritesSyntheticCorpusAndResumesExactlyWithoutChargingTwice() {
    SparkSession spark = SparkTestSession.get();
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    DpftConfig cfg = runConfig();
    double[] straight = new DpFineTuning(spark, cfg, dir.resolve("a").toUri().toString(), quiet, p -> {}).run();

    class Halt extends RuntimeException {}
    Path b = dir.resolve("b");
    assertThrows(Halt.class, () -> new DpFineTuning(spark, cfg, b.toUri().toString(), quiet, p -> {
      if (p.equals("step-2-checkpointed")) {
        throw new Halt();
      }
    }).run());
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    double[] resumed = new DpFineTuning(spark, cfg, b.toUri().toString(), new PrintStream(log), p -> {}).run();
    assertTrue(log.toString().contains("resuming after step 2"), log.toString());
    assertArrayEquals(straight, resumed, 0.0, "a resumed run must continue exactly (seeded test mode)");

    List<LedgerEntry> ledger = RunLedger.entries(b);
    List<LedgerEntry> steps = ledger.stream().filter(e -> e.mechanism().equals(LedgerEntry.POISSON_GAUSSIAN)).toList();
    long counts = ledger.stream().filter(LedgerEntry::isGaussian).count();
    assertEquals(1, steps.size(), "all DP-SGD steps in one entry, charged once");
    assertEquals(4, steps.get(0).steps());
    assertEquals(2, counts, "the DP user count and the DP label counts");
    double planned = DpftPlan.of(cfg).epsilon(cfg.dpft().steps());
    assertEquals(planned, PrivacyBudget.epsilon(ledger, cfg.privacy().delta()), 1e-9);
    assertTrue(planned <= 4.0 && planned > 3.0, "at or under the target (RDP calibrates; PLD may report less): " + planned);

    org.dpsynth.testing.ManifestChecks.assertNoTimings(org.dpsynth.run.RunDirectory.readJson(b.resolve("public/manifest.json")));
    List<Row> rows = spark.read().parquet(b.resolve("public/synthetic").toString()).collectAsList();
    assertEquals(16, rows.size());
    assertEquals(List.of("id", "text", "label", "iteration", "parent_id"),
        List.of(spark.read().parquet(b.resolve("public/synthetic").toString()).columns()));
    for (Row r : rows) {
      assertTrue(!r.getString(1).isBlank());
      assertTrue(cfg.labels().names().contains(r.getString(2)));
    }
  }

  /**
   * Nothing derived from a DP-SGD step reaches the console or a file before the step's checkpoint
   * is committed, so a crash inside a segment leaves its draws unobserved and the resumed run may
   * redraw them under the same charge. (The earlier code printed a noisy update norm for the first
   * step of every run, which was then redrawn after a crash.)
   */
  @Test
  void aStepIsObservedOnlyThroughItsCommittedCheckpoint() throws java.io.IOException {
    SparkSession spark = SparkTestSession.get();
    DpftConfig cfg = runConfig();
    double[] straight = new DpFineTuning(spark, cfg, dir.resolve("observe-a").toUri().toString(), new PrintStream(new ByteArrayOutputStream()), p -> {}).run();
    class Halt extends RuntimeException {}
    Path b = dir.resolve("observe-b");
    ByteArrayOutputStream killed = new ByteArrayOutputStream();
    // Stopped after drawing steps 1 and 3 (each inside an uncommitted segment of checkpoint_every = 2).
    for (String stop : List.of("step-1-drawn", "step-3-drawn")) {
      assertThrows(Halt.class, () -> new DpFineTuning(spark, cfg, b.toUri().toString(), new PrintStream(killed, true), p -> {
        if (p.equals(stop)) {
          throw new Halt();
        }
      }).run());
    }
    for (String line : killed.toString().split("\n")) {
      if (line.startsWith("step ")) {
        assertTrue(line.startsWith("step 2/4") && line.contains("(checkpoint)"),
            "only committed steps are printed, got: " + line + "\n" + killed);
      }
    }
    try (var files = java.nio.file.Files.walk(b.resolve("public"))) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().contains("tmp") || f.getFileName().toString().equals("model.bin")));
    }
    double[] resumed = new DpFineTuning(spark, cfg, b.toUri().toString(), new PrintStream(new ByteArrayOutputStream()), p -> {}).run();
    assertArrayEquals(straight, resumed, 0.0, "the redrawn segment is the same draw in seeded test mode");
    assertEquals(3, RunLedger.entries(b).size(), "user count, labels, and the steps: each charged once");
  }

  /**
   * Per-user clipping on Spark: a user with 200 records (whose raw gradient is far above C) moves
   * the noised sum of a step by at most C (same seeded noise on both neighbours), and by close to C
   * (the clip is what bounds it).
   */
  @Test
  void aUserWithManyRecordsMovesTheNoisedSumByAtMostC() {
    SparkSession spark = SparkTestSession.get();
    FeedForwardLm.Shape shape = new FeedForwardLm.Shape(8, 2, 3, 4, 2);
    double[] params = FeedForwardLm.initialParameters(shape, 3);
    double clip = 0.01;
    GridGaussianMechanism mech = new GridGaussianMechanism(clip, shape.parameters());
    List<UserExamples> base = new ArrayList<>();
    for (int u = 0; u < 30; u++) {
      base.add(new UserExamples("u" + u, new int[][] {{3 + u % 5, 4, 2}}, new int[] {1}));
    }
    int[][] many = new int[200][];
    for (int i = 0; i < many.length; i++) {
      many[i] = new int[] {5, 6, 7, 5, 6, 7, 2};
    }
    List<UserExamples> withHeavy = new ArrayList<>(base);
    withHeavy.add(new UserExamples("heavy", many, new int[200]));
    double[] raw = DpSgdStep.userGradient(new FeedForwardLm(shape, params), withHeavy.get(30), PoissonSampling.seeded(1, 1), 200,
        new double[shape.parameters()]);
    double rawNorm = 0;
    for (double x : raw) {
      rawNorm += x * x;
    }
    assertTrue(Math.sqrt(rawNorm) > 10 * clip, "the heavy user's raw gradient must exceed C for the test to mean anything");

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    PoissonSampling sampling = PoissonSampling.seeded(1, 1);
    for (int examplesPerUser : new int[] {1, 200}) {
      JavaRDD<UserExamples> d = jsc.parallelize(base, 2);
      JavaRDD<UserExamples> dPrime = jsc.parallelize(withHeavy, 2);
      long[] s = DpSgdJob.gradientSum(d, shape, params, sampling, 1.0, examplesPerUser, mech);
      long[] sPrime = DpSgdJob.gradientSum(dPrime, shape, params, sampling, 1.0, examplesPerUser, mech);
      double[] r = DpSgdStep.noisyMeanGradient(s, mech, 3 * clip, new SeededNoise(77), 1.0);
      double[] rPrime = DpSgdStep.noisyMeanGradient(sPrime, mech, 3 * clip, new SeededNoise(77), 1.0);
      double diff = 0;
      for (int i = 0; i < r.length; i++) {
        diff += (rPrime[i] - r[i]) * (rPrime[i] - r[i]);
      }
      diff = Math.sqrt(diff);
      assertTrue(diff <= clip * (1 + 1e-12), "moved by " + diff + " > C = " + clip);
      assertTrue(diff >= 0.99 * clip, "moved by " + diff + ": clipping, not the data, should bound it");
    }
  }
}
