package org.dpsynth.fewshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.dpsynth.config.ConfigException;
import org.dpsynth.config.FewShotConfig;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.PldAccountant;
import org.dpsynth.privacy.PrivacyBudget;
import org.dpsynth.run.RunDirectory;
import org.dpsynth.testing.ManifestChecks;
import org.dpsynth.testing.RunLedger;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FewShotGenerationTest {

  private static final List<String> OVERRIDES = List.of(
      "labels.names=[food, law]",
      "privacy.epsilon=4",
      "privacy.noise=seeded:11",
      "fewshot.demonstrations_per_label=1",
      "fewshot.max_tokens=3",
      "fewshot.subsets=3",
      "fewshot.sampling_rate=0.1",
      "fewshot.candidates=8");

  private static FewShotConfig config() {
    return FewShotConfig.load(null, OVERRIDES);
  }

  @Test
  void runsChargesOnceAndResumesWithoutRespending(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("run"); // the dataset's ledger goes beside it, inside the temporary directory
    FewShotConfig cfg = config();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream console = new PrintStream(out, true, StandardCharsets.UTF_8);
    var result = new FewShotGeneration(SparkTestSession.get(), cfg, dir, console).run();
    assertEquals(2, result.demos().size());
    assertTrue(result.epsilon() <= 4.0 && result.epsilon() > 3.9, "calibrated: " + result.epsilon());
    assertEquals(PldAccountant.epsilon(0.1, result.noiseMultiplier(), 3, 1e-6), result.epsilon(), 1e-9);
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("seeded:11"), "test-mode noise is announced: " + text);

    List<LedgerEntry> ledger = RunLedger.entries(dir);
    assertEquals(1, ledger.size());
    assertTrue(PrivacyBudget.epsilon(ledger, 1e-6) <= result.epsilon() + 1e-9, "the ledger's accountant is never looser");
    assertEquals(3, ledger.get(0).steps());

    JsonNode manifest = new ObjectMapper().readTree(dir.resolve("public/manifest.json").toFile());
    assertEquals("complete", manifest.get("status").asText());
    assertTrue(manifest.get("noise").asText().contains("TEST ONLY"));
    JsonNode privacy = manifest.get("privacy");
    assertTrue(privacy.get("epsilon_rdp_cross_check").asDouble() >= privacy.get("epsilon").asDouble());
    ManifestChecks.assertNoTimings(manifest);
    List<Row> rows = SparkTestSession.get().read().parquet(dir.resolve("public/demonstrations").toString()).collectAsList();
    assertEquals(2, rows.size());

    // No private record text in anything under public/ (the sampling key stays in private/).
    List<String> privateTexts = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(cfg.input().path()))) {
      String t = new ObjectMapper().readTree(line).get("text").asText();
      if (t.length() > 40) {
        privateTexts.add(t);
      }
    }
    try (Stream<Path> files = Files.walk(dir.resolve("public"))) {
      for (Path p : files.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".json")).toList()) {
        String s = Files.readString(p);
        assertFalse(s.contains("sampling_key"), p.toString());
        for (String t : privateTexts) {
          assertFalse(s.contains(t), "private text in " + p);
        }
      }
    }

    // A rerun on the complete directory neither re-runs nor re-charges.
    out.reset();
    var again = new FewShotGeneration(SparkTestSession.get(), cfg, dir, console).run();
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("complete"));
    assertEquals(1, RunLedger.entries(dir).size());
    assertEquals(result.demos(), again.demos());

    // Interrupted after the last step but before the manifest: the rerun finishes from the
    // persisted progress under the same charge (no step re-drawn, nothing re-charged).
    Files.delete(dir.resolve("public/manifest.json"));
    out.reset();
    new FewShotGeneration(SparkTestSession.get(), cfg, dir, console).run();
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("no new spend"));
    assertEquals(1, RunLedger.entries(dir).size());
    assertTrue(Files.exists(dir.resolve("public/manifest.json")));

    // The complete run rerun with another privacy setting is refused, naming the key: its charge
    // in the ledger was computed for the original settings.
    FewShotConfig other = FewShotConfig.load(null, withOverride("privacy.epsilon=2"));
    var refused = assertThrows(ConfigException.class, () -> new FewShotGeneration(SparkTestSession.get(), other, dir, console).run());
    assertTrue(refused.getMessage().contains("privacy.epsilon"), refused.getMessage());
    assertEquals(1, RunLedger.entries(dir).size());
  }

  private static List<String> withOverride(String... extra) {
    List<String> o = new ArrayList<>(OVERRIDES);
    o.addAll(List.of(extra));
    return o;
  }

  /**
   * A run stopped between two token steps and resumed with another sampling rate (or any setting
   * the charge depends on) is refused, naming the key, and draws nothing more.
   */
  @Test
  void aRunResumedWithAnotherConfigIsRefusedBeforeDrawingAgain(@TempDir Path tmp) {
    Path dir = tmp.resolve("run");
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    class Stop extends RuntimeException {}
    assertThrows(Stop.class, () -> new FewShotGeneration(SparkTestSession.get(), config(), dir.toUri().toString(), quiet, p -> {
      if (p.equals("released:fewshot/tokens/step-0001")) {
        throw new Stop();
      }
    }).run());
    assertEquals(1, RunDirectory.readJson(dir.resolve("public/progress.json")).path("step").asInt());
    for (String changed : List.of("fewshot.sampling_rate=0.2", "fewshot.max_tokens=4", "fewshot.demonstrations_per_label=2",
        "privacy.delta=1e-7", "privacy.noise=seeded:12")) {
      FewShotConfig other = FewShotConfig.load(null, withOverride(changed));
      var e = assertThrows(ConfigException.class, () -> new FewShotGeneration(SparkTestSession.get(), other, dir, quiet).run());
      assertTrue(e.getMessage().contains(changed.substring(0, changed.indexOf('='))), e.getMessage());
    }
    assertEquals(1, RunDirectory.readJson(dir.resolve("public/progress.json")).path("step").asInt(), "nothing more was drawn");
    assertEquals(1, RunLedger.entries(dir).size());
    // The original configuration resumes and finishes under the same charge.
    new FewShotGeneration(SparkTestSession.get(), config(), dir, quiet).run();
    assertEquals(1, RunLedger.entries(dir).size());
  }
}
