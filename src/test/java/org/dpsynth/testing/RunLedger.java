package org.dpsynth.testing;

import java.nio.file.Path;
import java.util.List;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.PrivacyLedger;
import org.dpsynth.run.RunDirectory;

/** The ledger a run directory charged (as recorded in its private run state), and the run's own entries in it. */
public final class RunLedger {
  private RunLedger() {}

  public static Path file(Path runDir) {
    return Path.of(RunDirectory.readJson(runDir.resolve("private/run-state.json")).path("ledger").asText());
  }

  public static String runId(Path runDir) {
    return RunDirectory.readJson(runDir.resolve("private/run-state.json")).path("run_id").asText();
  }

  /** The entries this run charged, in ledger order. */
  public static List<LedgerEntry> entries(Path runDir) {
    String runId = runId(runDir);
    return PrivacyLedger.open(file(runDir)).entries().stream().filter(e -> e.runId().equals(runId)).toList();
  }
}
