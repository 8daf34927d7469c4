package org.dpsynth.run;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dpsynth.privacy.PrivacyBudget;
import org.dpsynth.privacy.PrivacyLedger;
import org.dpsynth.privacy.SeededNoise;

/**
 * One process of {@link BudgetRaceTest}: opens a run on a shared ledger, waits at a barrier, then
 * charges two releases under the shared cap. Exit 0: charged; 3: refused by the budget.
 * Arguments: runDir ledgerFile cap readyFile goFile.
 */
public final class BudgetRaceChild {
  private BudgetRaceChild() {}

  public static void main(String[] args) throws Exception {
    Path runDir = Path.of(args[0]);
    PrivacyLedger ledger = PrivacyLedger.open(Path.of(args[1]));
    double cap = Double.parseDouble(args[2]);
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    PrivateRun run = PrivateRun.open(new RunDirectory(runDir), new PrivateRun.Settings("pe",
        RunFingerprint.fromJson(RunDirectory.JSON.createObjectNode().put("test", "race")), "race-corpus", ledger, cap, 1e-6,
        new SeededNoise(1)), quiet, phase -> {});
    Files.createFile(Path.of(args[3]));
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!Files.exists(Path.of(args[4]))) {
      if (System.nanoTime() > deadline) {
        System.exit(4);
      }
      Thread.onSpinWait();
    }
    try {
      run.charge(List.of(PrivateRun.Charge.gaussian("pe/iteration-1", 1.0, 1.0, 1),
          PrivateRun.Charge.gaussian("pe/iteration-2", 1.0, 1.0, 1)));
      System.exit(0);
    } catch (PrivacyBudget.ExceededException e) {
      System.exit(3);
    }
  }
}
