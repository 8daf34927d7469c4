package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.eval.ChamferDistance;
import org.dpsynth.eval.FrechetDistance;
import org.dpsynth.foundation.Models;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.PrivacyBudget;
import org.dpsynth.privacy.PrivacyLedger;
import org.dpsynth.run.RunDirectory;
import org.dpsynth.testing.ManifestChecks;
import org.dpsynth.testing.RunLedger;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end PE runs on Spark local mode with the embedded models and a slice of the sample corpus. */
class PrivateEvolutionTest {
  private static final String CANARY = "zqxcanary7731";
  @TempDir static Path dir;
  static Path input;
  static List<String> lines;

  @BeforeAll
  static void slice() throws IOException {
    // Every 8th record of the sample corpus (about 360 records), plus one canary record.
    List<String> all = Files.readAllLines(Path.of("data-samples/fortunes-private.jsonl"));
    lines = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 8) {
      lines.add(all.get(i));
    }
    lines.add("{\"user_id\": \"canary-user\", \"text\": \"the secret " + CANARY + " is here\", \"label\": \"computers\"}");
    input = dir.resolve("slice.jsonl");
    Files.write(input, lines);
  }

  static JobConfig config(Path in, String... extra) {
    List<String> sets = new ArrayList<>(List.of(
        "input.path=" + in,
        "labels.names=[computers, education, food, law, love, politics, science, sports]",
        "labels.proportions=dp",
        "privacy.epsilon=8",
        "privacy.noise=seeded:12345",
        "pe.iterations=2",
        "pe.population_size=40",
        "pe.seed=99"));
    sets.addAll(List.of(extra));
    return ConfigLoader.load(null, sets);
  }

  static String runPe(JobConfig cfg, Path out, Consumer<String> boundary) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream console = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    try {
      new PrivateEvolution(SparkTestSession.get(), cfg, out, console, boundary).run();
    } finally {
      console.flush();
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static Path reference;

  /**
   * The run of {@code config(input)} that several tests compare with, run once per class: the
   * same config and seeded noise give the same run, so one serves them all.
   */
  static synchronized Path reference() {
    if (reference == null) {
      Path out = dir.resolve("run-reference");
      runPe(config(input), out, p -> {});
      reference = out;
    }
    return reference;
  }

  static List<String> synthetic(Path out) {
    SparkSession spark = SparkTestSession.get();
    List<String> texts = new ArrayList<>();
    for (Row r : spark.read().parquet(out.resolve("public/synthetic").toString()).orderBy("id").collectAsList()) {
      texts.add(r.getAs("id") + "|" + r.getAs("label") + "|" + r.getAs("text") + "|" + r.getAs("parent_id"));
    }
    return texts;
  }

  @Test
  void theLabelReleaseWithItsOwnRecordCapIsChargedAndReportedAtThatCap() throws IOException {
    Path out = dir.resolve("run-label-cap");
    String console = runPe(config(input, "pe.iterations=1", "labels.max_records_per_user=16"), out, p -> {});
    assertTrue(console.contains("label release: at most 16 records per user (labels.max_records_per_user 16; the method keeps 8)"),
        console);
    JsonNode privacy = RunDirectory.readJson(out.resolve("public/manifest.json")).get("privacy");
    assertEquals(16, privacy.get("label_max_records_per_user").asInt());
    assertEquals(16.0, privacy.get("label_sensitivity").asDouble(), 0.0, "the clip defaults to the label cap");
    LedgerEntry labels = RunLedger.entries(out).stream().filter(e -> e.releaseId().endsWith("labels")).findFirst().orElseThrow();
    assertEquals(16.0, labels.sensitivity(), 0.0, "charged at the label cap, not the votes' cap of 8");
    assertEquals(16.0 * privacy.get("sigma").asDouble(), labels.noiseStddev(), 1e-9, "noise stddev z x the label bound");
  }

  @Test
  void aLabelBudgetShareChargesTheLabelReleaseAtItsOwnNoiseAndTheRunMeetsTheTarget() throws IOException {
    Path out = dir.resolve("run-label-share");
    String console = runPe(config(input, "labels.budget_share=0.5", "labels.max_records_per_user=auto"), out, p -> {});
    JsonNode privacy = RunDirectory.readJson(out.resolve("public/manifest.json")).get("privacy");
    double zLabel = privacy.get("label_sigma").asDouble();
    double zVote = privacy.get("sigma").asDouble();
    assertTrue(zLabel < zVote, "half the budget for one release against two votes: " + privacy);
    assertEquals(0.5, privacy.get("label_budget_share").asDouble(), 0.0);
    assertTrue(console.contains(String.format("label release: noise multiplier %.4f (labels.budget_share 0.5", zLabel)), console);
    int cap = privacy.get("label_max_records_per_user").asInt();
    assertEquals(org.dpsynth.run.LabelShares.autoRecordCap(zLabel, 1000), cap, "auto reads the label release's own z");
    List<LedgerEntry> charged = RunLedger.entries(out);
    LedgerEntry labels = charged.stream().filter(e -> e.releaseId().endsWith("labels")).findFirst().orElseThrow();
    assertEquals(cap * zLabel, labels.noiseStddev(), 1e-9, "label noise z_label x its bound");
    assertEquals(cap * zLabel, RunDirectory.readJson(out.resolve("public/labels.json")).get("noise_stddev").asDouble(), 1e-9);
    for (LedgerEntry e : charged) {
      if (!e.releaseId().endsWith("labels")) {
        assertEquals(zVote * 1.0, e.noiseStddev(), 1e-9, "votes at z_vote x C: " + e.releaseId());
      }
    }
    double eps = PrivacyBudget.epsilon(charged, 1e-6);
    assertTrue(eps <= 8.0 && eps > 7.99, "the split run meets the target: " + eps);
    assertEquals(privacy.get("epsilon").asDouble(), eps, 1e-9, "ledger and manifest agree");
  }

  @Test
  void aRunWritesTheRunDirectoryAndChargesEachReleaseOnce() throws IOException {
    Path out = dir.resolve("run-basic");
    String console = runPe(config(input), out, p -> {});
    assertTrue(console.contains("iteration 1/2") && console.contains("iteration 2/2"), console);
    assertTrue(console.contains("seeded"), "test-mode noise is announced on the console: " + console);
    assertEquals(40, synthetic(out).size());

    JsonNode manifest = RunDirectory.readJson(out.resolve("public/manifest.json"));
    assertEquals("complete", manifest.get("status").asText());
    assertTrue(manifest.get("noise").asText().contains("seeded"), "the manifest marks test noise");
    assertEquals(3, manifest.get("privacy").get("steps").asInt(), "2 histograms + 1 label release");
    double eps = manifest.get("privacy").get("epsilon").asDouble();
    assertTrue(eps <= 8.0 && eps > 7.99, "calibrated to the target: " + eps);

    // The dataset's ledger sits beside the run directory, shared by every run on the dataset.
    assertEquals(dir.resolve("privacy-ledgers"), RunLedger.file(out).getParent());
    List<LedgerEntry> charged = RunLedger.entries(out);
    assertEquals(3, charged.size());
    assertEquals(eps, PrivacyBudget.epsilon(charged, 1e-6), 1e-9, "ledger and manifest agree");
    // Nothing that grows with the private corpus is public: no timings in the manifest (they are private).
    ManifestChecks.assertNoTimings(manifest);
    com.fasterxml.jackson.databind.JsonNode seconds = RunDirectory.readJson(out.resolve("private/timings.json")).path("seconds");
    assertTrue(seconds.has("iteration-1"));
    // Every stage of the job is timed (the end-to-end benchmark reads these keys).
    for (String stage : List.of(PrivateEvolution.STAGE_READ, PrivateEvolution.STAGE_EMBED_PRIVATE,
        PrivateEvolution.STAGE_EMBED_SYNTHETIC, PrivateEvolution.STAGE_VOTE, PrivateEvolution.STAGE_GENERATE,
        PrivateEvolution.STAGE_WRITE)) {
      assertTrue(seconds.path(stage).asDouble() > 0, stage + " timed: " + seconds);
    }
    assertTrue(seconds.path(PrivateEvolution.STAGE_READ).asDouble() + seconds.path(PrivateEvolution.STAGE_EMBED_PRIVATE).asDouble()
        <= seconds.path("private-embeddings").asDouble() + 1e-9, "read and embed are parts of the private embedding phase");

    for (int t = 0; t <= 2; t++) {
      assertTrue(Files.isRegularFile(out.resolve(String.format("public/iterations/%03d/population.parquet/_SUCCESS", t))));
    }
    assertTrue(Files.isRegularFile(out.resolve("public/iterations/001/histogram.json")));
    assertTrue(Files.isRegularFile(out.resolve("private/diagnostics.json")));
    assertCanaryAbsent(out.resolve("public"), console);
  }

  static void assertCanaryAbsent(Path publicDir, String console) throws IOException {
    assertFalse(console.contains(CANARY), "private text on the console");
    try (Stream<Path> files = Files.walk(publicDir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        assertFalse(content.contains(CANARY), "private text in " + f);
      }
    }
  }

  @Test
  void theResultDoesNotDependOnHowTheInputIsSplitOrOrdered() throws IOException {
    Path a = reference();
    // The same records, shuffled and split over three files.
    Path splitDir = Files.createDirectories(dir.resolve("split"));
    List<String> shuffled = new ArrayList<>(lines);
    Collections.shuffle(shuffled, new java.util.Random(4));
    int third = shuffled.size() / 3;
    Files.write(splitDir.resolve("a.jsonl"), shuffled.subList(0, third));
    Files.write(splitDir.resolve("b.jsonl"), shuffled.subList(third, 2 * third));
    Files.write(splitDir.resolve("c.jsonl"), shuffled.subList(2 * third, shuffled.size()));
    Path b = dir.resolve("run-split");
    runPe(config(splitDir, "input.format=jsonl"), b, p -> {});
    assertEquals(synthetic(a), synthetic(b));
  }

  @Test
  void aRunStoppedAtAPhaseBoundaryResumesExactlyWithoutRedrawingARelease() {
    Path reference = reference();
    // initial-population is covered by a real driver kill in cli/PrivacyCanaryIT.
    for (String phase : List.of("private-embedded", "charged", "labels-released", "iteration-1-released", "iteration-2-selected",
        "iteration-2-released")) {
      Path out = dir.resolve("run-stop-" + phase);
      RuntimeException stop = assertThrows(RuntimeException.class, () -> runPe(config(input), out, p -> {
        if (p.equals(phase)) {
          throw new IllegalStateException("stopped at " + phase);
        }
      }));
      assertTrue(stop.getMessage().contains(phase));
      String console = runPe(config(input), out, p -> {});
      assertTrue(console.contains("resuming run"), console);
      assertEquals(synthetic(reference), synthetic(out), "resumed after " + phase);
      List<String> ids = RunLedger.entries(out).stream().map(LedgerEntry::releaseId).toList();
      assertEquals(3, ids.size(), "each release charged once: " + ids);
      assertEquals(3, ids.stream().distinct().count());
    }
  }

  @Test
  void theDatasetBudgetRefusesAnOverspendingRunAndAResumeChargesNothingTwice() throws IOException {
    Path ledgerFile = dir.resolve("budget-ledger.jsonl");
    // One iteration (2 releases per run) keeps this test short; two runs of epsilon 4 compose to about 5.6 > 5.
    String[] budget = {"pe.iterations=1", "privacy.epsilon=4", "budget.total_epsilon=5", "budget.ledger=" + ledgerFile, "input.dataset=fortunes-slice"};
    String first = runPe(config(input, budget), dir.resolve("run-budget-1"), p -> {});
    assertTrue(first.contains("budget: dataset 'fortunes-slice'"), first);
    double spent = PrivacyLedger.open(ledgerFile).totalEpsilon("fortunes-slice", 1e-6);
    // A second run of epsilon 4 on the same dataset would compose to more than 5: refused before any work.
    PrivacyBudget.ExceededException refused = assertThrows(PrivacyBudget.ExceededException.class,
        () -> runPe(config(input, budget), dir.resolve("run-budget-2"), p -> {}));
    assertTrue(refused.getMessage().contains(String.format("%.4g left", 5 - spent)), refused.getMessage());
    assertTrue(refused.getMessage().contains("'fortunes-slice'"), refused.getMessage());
    assertEquals(2, PrivacyLedger.open(ledgerFile).entries().size(), "the refused run charged nothing");
    assertFalse(Files.exists(dir.resolve("run-budget-2/private/embeddings.parquet")), "refused before embedding");

    // A cap that fits exactly one run. Nothing is charged before the first draw; then every
    // release is charged at once, and a resumed run charges nothing again.
    Path ledger2 = dir.resolve("budget-ledger-2.jsonl");
    String[] tight = {"pe.iterations=1", "budget.total_epsilon=8.0001", "budget.ledger=" + ledger2};
    Path out = dir.resolve("run-budget-resume");
    assertThrows(IllegalStateException.class, () -> runPe(config(input, tight), out, stopAt("private-embedded")));
    assertEquals(0, PrivacyLedger.open(ledger2).entries().size(), "nothing drawn, nothing charged");
    assertThrows(IllegalStateException.class, () -> runPe(config(input, tight), out, stopAt("labels-released")));
    assertEquals(2, PrivacyLedger.open(ledger2).entries().size(), "the label release and the histogram, charged before the first draw");
    String resumed = runPe(config(input, tight), out, p -> {});
    assertTrue(resumed.contains("no new spend"), resumed);
    assertEquals(2, PrivacyLedger.open(ledger2).entries().size());
    assertThrows(PrivacyBudget.ExceededException.class, () -> runPe(config(input, tight), dir.resolve("run-budget-resume-2"), p -> {}));
  }

  static Consumer<String> stopAt(String phase) {
    return p -> {
      if (p.equals(phase)) {
        throw new IllegalStateException("stopped at " + phase);
      }
    };
  }

  /**
   * A draw that was never committed is never visible: the driver stopped after drawing iteration
   * 1's noise but before committing it leaves nothing of it under public/ (temporary files live
   * under private/), and the resumed run redraws it under the same charge.
   */
  @Test
  void aDrawStoppedBeforeItsCommitLeavesNothingUnderPublicAndIsChargedOnce() throws IOException {
    Path reference = reference();
    Path out = dir.resolve("run-commit-stop");
    assertThrows(IllegalStateException.class, () -> runPe(config(input), out, stopAt("drawn:pe/iteration-1")));
    assertFalse(Files.exists(out.resolve("public/iterations/001/histogram.json")));
    try (Stream<Path> files = Files.walk(out.resolve("public"))) {
      List<String> names = files.filter(Files::isRegularFile).map(f -> out.resolve("public").relativize(f).toString()).toList();
      assertTrue(names.stream().noneMatch(n -> n.contains("tmp") || n.startsWith("iterations/001")), names.toString());
    }
    runPe(config(input), out, p -> {});
    assertEquals(synthetic(reference), synthetic(out));
    assertEquals(3, RunLedger.entries(out).size(), "charged once");
  }

  @Test
  void aDifferentConfigOnAnExistingRunDirectoryIsRefusedNamingTheKey() {
    Path out = dir.resolve("run-refuse");
    runPe(config(input), out, p -> {});
    var e = assertThrows(org.dpsynth.config.ConfigException.class, () -> runPe(config(input, "privacy.epsilon=2"), out, p -> {}));
    assertTrue(e.getMessage().contains("privacy.epsilon differs"), e.getMessage());
    // Settings that change neither a release nor its charge may change on resume.
    runPe(config(input, "embedder.threads=2", "budget.total_epsilon=100"), out, p -> {});
  }

  @Test
  void theSyntheticCorpusMovesTowardsThePrivateOne() {
    Path out = dir.resolve("run-quality");
    JobConfig cfg = config(input, "privacy.epsilon=8", "pe.iterations=4", "pe.population_size=80",
        "pe.variation_degrees=[0.5]", "pe.selection=rank", "pe.keep_selected=true");
    runPe(cfg, out, p -> {});
    SparkSession spark = SparkTestSession.get();
    float[][] privateVecs = embed(cfg, spark.read().json(input.toString()).select("text").as(org.apache.spark.sql.Encoders.STRING()).collectAsList());
    float[][] initial = embed(cfg, spark.read().parquet(out.resolve("public/iterations/000/population.parquet").toString())
        .select("text").as(org.apache.spark.sql.Encoders.STRING()).collectAsList());
    float[][] last = embed(cfg, spark.read().parquet(out.resolve("public/synthetic").toString())
        .select("text").as(org.apache.spark.sql.Encoders.STRING()).collectAsList());
    double fdBefore = FrechetDistance.between(privateVecs, initial);
    double fdAfter = FrechetDistance.between(privateVecs, last);
    // How far each private record is from its nearest synthetic sample: what the votes optimise.
    double coverBefore = ChamferDistance.oneWay(privateVecs, initial);
    double coverAfter = ChamferDistance.oneWay(privateVecs, last);
    System.out.printf("distance to the private slice, initial -> final: Frechet %.4f -> %.4f, nearest-neighbour %.4f -> %.4f%n",
        fdBefore, fdAfter, coverBefore, coverAfter);
    // The Fréchet distance is printed, not asserted: with 80 samples in 384 dimensions its
    // covariance term is mostly estimation noise (the README shows it falling at sample scale).
    assertTrue(coverAfter < coverBefore, "nearest-neighbour distance: initial " + coverBefore + ", final " + coverAfter);
  }

  private static float[][] embed(JobConfig cfg, List<String> texts) {
    return Models.embedder(cfg.embedder(), null).embed(texts).vectors();
  }
}
