package org.dpsynth.fewshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.dpsynth.config.FewShotConfig;
import org.dpsynth.privacy.PldAccountant;
import org.dpsynth.privacy.PrivacyLedger;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FewShotGenerationTest {

  private static FewShotConfig config() {
    return FewShotConfig.load(null, List.of(
        "labels.names=[food, law]",
        "privacy.epsilon=4",
        "privacy.noise=seeded:11",
        "fewshot.demonstrations_per_label=1",
        "fewshot.max_tokens=3",
        "fewshot.subsets=3",
        "fewshot.sampling_rate=0.1",
        "fewshot.candidates=8"));
  }

  @Test
  void runsChargesOnceAndResumesWithoutRespending(@TempDir Path dir) throws Exception {
    FewShotConfig cfg = config();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream console = new PrintStream(out, true, StandardCharsets.UTF_8);
    var result = new FewShotGeneration(SparkTestSession.get(), cfg, dir, console).run();
    assertEquals(2, result.demos().size());
    assertTrue(result.epsilon() <= 4.0 && result.epsilon() > 3.9, "calibrated: " + result.epsilon());
    assertEquals(PldAccountant.epsilon(0.1, result.noiseMultiplier(), 3, 1e-6), result.epsilon(), 1e-9);
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("seeded:11"), "test-mode noise is announced: " + text);

    PrivacyLedger ledger = PrivacyLedger.open(dir.resolve("privacy-ledger.jsonl"));
    assertEquals(1, ledger.entries().size());
    assertEquals(result.epsilon(), ledger.totalEpsilon(1e-6), 1e-9);
    assertEquals(3, ledger.entries().get(0).steps());

    JsonNode manifest = new ObjectMapper().readTree(dir.resolve("public/manifest.json").toFile());
    assertTrue(manifest.get("complete").asBoolean());
    assertTrue(manifest.get("noise").asText().contains("TEST ONLY"));
    assertTrue(manifest.get("epsilon_rdp_cross_check").asDouble() >= manifest.get("epsilon").asDouble());
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
    assertEquals(1, PrivacyLedger.open(dir.resolve("privacy-ledger.jsonl")).entries().size());
    assertEquals(result.demos(), again.demos());

    // Interrupted after the last step but before the manifest: the rerun finishes from the
    // persisted progress under the same charge (no step re-drawn, nothing re-charged).
    Files.delete(dir.resolve("public/manifest.json"));
    out.reset();
    new FewShotGeneration(SparkTestSession.get(), cfg, dir, console).run();
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("no new spend"));
    assertEquals(1, PrivacyLedger.open(dir.resolve("privacy-ledger.jsonl")).entries().size());
    assertTrue(Files.exists(dir.resolve("public/manifest.json")));
  }
}
