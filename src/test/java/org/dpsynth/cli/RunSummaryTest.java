package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The --json line from each job's manifest shape, and the statuses of a stopped run. */
class RunSummaryTest {
  @TempDir Path dir;

  @Test
  void peAndDpftKeepPrivacyUnderPrivacyFewShotAtTheTop() throws Exception {
    Path pe = Files.writeString(dir.resolve("pe.json"),
        "{\"status\":\"complete\",\"run_id\":\"r1\",\"privacy\":{\"epsilon\":3.5,\"delta\":1e-6},\"timings\":{}}");
    JsonNode a = new ObjectMapper().readTree(RunSummary.fromManifest("pe", pe, Map.of("synthetic", dir.resolve("s"))).toJson());
    assertEquals("r1", a.get("run_id").asText());
    assertEquals("complete", a.get("status").asText());
    assertEquals(3.5, a.get("epsilon").asDouble());
    assertEquals(1e-6, a.get("delta").asDouble());
    assertEquals(dir.resolve("s").toUri().toString(), a.get("outputs").get("synthetic").asText());

    Path fs = Files.writeString(dir.resolve("fs.json"), "{\"complete\":true,\"run_id\":\"r2\",\"epsilon\":4.0,\"delta\":1e-6}");
    JsonNode b = new ObjectMapper().readTree(RunSummary.fromManifest("fewshot", fs, Map.of()).toJson());
    assertEquals("complete", b.get("status").asText());
    assertEquals(4.0, b.get("epsilon").asDouble());
    assertEquals("fewshot", b.get("command").asText());
  }

  @Test
  void aStoppedRunPrintsItsStatusLastAndKeepsTheError() {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    java.io.PrintStream out = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
    IllegalStateException boom = new IllegalStateException("boom");
    try {
      RunSummary.runAndPrint("pe", true, out, () -> {
        throw boom;
      });
    } catch (IllegalStateException e) {
      assertEquals(boom, e);
    }
    String line = bytes.toString(java.nio.charset.StandardCharsets.UTF_8).strip();
    assertTrue(line.contains("\"status\":\"failed\"") && line.contains("\"run_id\":null"), line);
    RuntimeException exceeded = org.junit.jupiter.api.Assertions.assertThrows(org.dpsynth.privacy.PrivacyBudget.ExceededException.class,
        () -> org.dpsynth.privacy.PrivacyBudget.requireWithin(org.dpsynth.privacy.PrivacyLedger.open(dir.resolve("ledger.jsonl")), "d",
            java.util.List.of(new org.dpsynth.privacy.GaussianAccountant.GaussianRelease(1.0, 1.0, 1)), 0.1, 1e-6));
    assertEquals("budget_exhausted", RunSummary.failed("pe", exceeded).status());
  }
}
