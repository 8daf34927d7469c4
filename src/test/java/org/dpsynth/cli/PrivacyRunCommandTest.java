package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.PrivacyLedger;
import org.dpsynth.testing.RunLedger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.dpsynth.testing.LocalScript;

/** The privacy-run protocol as scripts see it: one budget per dataset across methods, refusals and their exit codes. */
@ExtendWith(SparkMasterForCli.class)
class PrivacyRunCommandTest {
  @TempDir static Path dir;
  static Path slice;

  @BeforeAll
  static void setUp() throws Exception {
    slice = LocalScript.everyNth("data-samples/fortunes-private.jsonl", 8, dir.resolve("slice.jsonl"));
  }

  private static List<String> fewshotArgs(Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("fewshot", "--out", out.toString(), "--set", "input.path=" + slice,
        "--set", "input.dataset=fortunes-slice", "--set", "labels.names=[food, law]", "--set", "privacy.noise=seeded:4",
        "--set", "fewshot.demonstrations_per_label=1", "--set", "fewshot.max_tokens=2", "--set", "fewshot.candidates=6"));
    for (String e : extra) {
      a.add("--set");
      a.add(e);
    }
    return a;
  }

  @Test
  void aSecondMethodOverTheDatasetsBudgetIsRefusedBeforeDrawingWithItsOwnExitCode() {
    Path ledger = dir.resolve("shared-ledger.jsonl");
    CliTest.Result pe = CliTest.run("pe", "--config", "conf/pe-fortunes.yaml", "--out", dir.resolve("pe").toString(),
        "--set", "input.path=" + slice, "--set", "input.dataset=fortunes-slice", "--set", "privacy.noise=seeded:3",
        "--set", "privacy.epsilon=2", "--set", "pe.iterations=1", "--set", "pe.population_size=24",
        "--set", "budget.total_epsilon=2.3", "--set", "budget.ledger=" + ledger);
    assertEquals(0, pe.code(), pe.err());
    List<LedgerEntry> afterPe = PrivacyLedger.open(ledger).entries();
    assertEquals(2, afterPe.size(), "labels + one histogram");

    Path fsOut = dir.resolve("fewshot-over-budget");
    CliTest.Result fs = CliTest.run(fewshotArgs(fsOut, "privacy.epsilon=2", "budget.total_epsilon=2.3", "budget.ledger=" + ledger)
        .toArray(String[]::new));
    assertEquals(Main.BUDGET_EXHAUSTED, fs.code(), fs.out() + fs.err());
    assertTrue(fs.err().contains("budget exhausted") && fs.err().contains("left") && fs.err().contains("'fortunes-slice'"), fs.err());
    assertEquals(afterPe, PrivacyLedger.open(ledger).entries(), "the ledger holds only the first run's charges");
    assertFalse(Files.exists(fsOut.resolve("public/progress.json")), "nothing was drawn");
  }

  @Test
  void fewshotRerunOnAFinishedRunWithAnotherEpsilonExitsNonZeroNamingTheKey() {
    Path out = dir.resolve("fewshot-done");
    CliTest.Result first = CliTest.run(fewshotArgs(out).toArray(String[]::new));
    assertEquals(0, first.code(), first.err());
    int charged = RunLedger.entries(out).size();
    CliTest.Result again = CliTest.run(fewshotArgs(out, "privacy.epsilon=3").toArray(String[]::new));
    assertEquals(2, again.code(), again.out() + again.err());
    assertTrue(again.err().contains("privacy.epsilon"), again.err());
    assertEquals(charged, RunLedger.entries(out).size());
  }
}
