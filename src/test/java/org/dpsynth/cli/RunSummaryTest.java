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
  void theSummaryComesFromThePublicManifest() throws Exception {
    org.dpsynth.run.RunDirectory run = new org.dpsynth.run.RunDirectory(dir.resolve("run"));
    run.create();
    Files.writeString(dir.resolve("run/public/manifest.json"),
        "{\"status\":\"complete\",\"run_id\":\"r1\",\"privacy\":{\"epsilon\":3.5,\"delta\":1e-6}}");
    JsonNode a = new ObjectMapper().readTree(RunSummary.fromManifest("pe", run, Map.of("synthetic", run.synthetic())).toJson());
    assertEquals("r1", a.get("run_id").asText());
    assertEquals("complete", a.get("status").asText());
    assertEquals(3.5, a.get("epsilon").asDouble());
    assertEquals(1e-6, a.get("delta").asDouble());
    assertEquals("file://" + dir.resolve("run/public/synthetic").toAbsolutePath(), a.get("outputs").get("synthetic").asText());
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
        () -> org.dpsynth.privacy.PrivacyBudget.admit(java.util.List.of(), java.util.List.of(org.dpsynth.privacy.LedgerEntry.gaussian(
            "r/1", 1.0, 1.0, 1, "r", "d", java.time.Instant.now())), "d", 0.1, 1e-6, "ledger"));
    assertEquals("budget_exhausted", RunSummary.failed("pe", exceeded).status());
  }
}
