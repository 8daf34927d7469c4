package org.dpsynth.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.dpsynth.privacy.GaussianAccountant;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.PrivacyLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes race for the last of a dataset's budget on one ledger: the budget check and the
 * charges are one atomic step under the ledger's lock, so exactly one proceeds and the ledger holds
 * only its charges. Repeated over several rounds; each round releases both processes from a
 * barrier at the same moment.
 */
class BudgetRaceTest {
  @TempDir Path dir;

  @Test
  void exactlyOneOfTwoProcessesPassesTheCap() throws Exception {
    double one = GaussianAccountant.epsilon(List.of(new GaussianAccountant.GaussianRelease(1.0, 1.0, 2)), 1e-6);
    double two = GaussianAccountant.epsilon(List.of(new GaussianAccountant.GaussianRelease(1.0, 1.0, 4)), 1e-6);
    double cap = (one + two) / 2; // one run fits, two do not
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = System.getProperty("java.class.path");
    for (int round = 0; round < 5; round++) {
      Path ledger = dir.resolve("ledger-" + round + ".jsonl");
      Path go = dir.resolve("go-" + round);
      List<Process> procs = new ArrayList<>();
      List<Path> ready = new ArrayList<>();
      for (int p = 0; p < 2; p++) {
        Path r = dir.resolve("ready-" + round + "-" + p);
        ready.add(r);
        procs.add(new ProcessBuilder(java, "-Xmx128m", "-cp", classpath, BudgetRaceChild.class.getName(),
            dir.resolve("run-" + round + "-" + p).toString(), ledger.toString(), Double.toString(cap), r.toString(), go.toString())
            .redirectErrorStream(true).redirectOutput(dir.resolve("child-" + round + "-" + p + ".log").toFile()).start());
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!ready.stream().allMatch(Files::exists) && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      Files.createFile(go);
      List<Integer> codes = new ArrayList<>();
      for (Process proc : procs) {
        assertTrue(proc.waitFor(60, TimeUnit.SECONDS), "child finished");
        codes.add(proc.exitValue());
      }
      codes.sort(null);
      assertEquals(List.of(0, 3), codes, "round " + round + ": exactly one run charged, one refused; logs in " + dir + File.separator);
      List<LedgerEntry> entries = PrivacyLedger.open(ledger).entries();
      assertEquals(2, entries.size(), "only the winner's two charges");
      assertEquals(1, entries.stream().map(LedgerEntry::runId).distinct().count());
    }
  }
}
