package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CliTest {
  record Result(int code, String out, String err) {}

  static synchronized Result run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.run(args);
      return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /** Runs a command with --json among {@code args}, checks exit code 0, and returns its JSON output. */
  static JsonNode json(String... args) throws Exception {
    Result r = run(args);
    assertEquals(0, r.code(), r.err());
    return new ObjectMapper().readTree(r.out());
  }

  @Test
  void helpListsTheSubcommands() {
    Result r = run("--help");
    assertEquals(0, r.code());
    for (String sub : new String[] {"pe", "account", "convert"}) {
      assertTrue(r.out().contains("  " + sub + " ") || r.out().contains("  " + sub + "\n"), sub + " missing from:\n" + r.out());
    }
  }

  @Test
  void everyPrivacyRunCommandHasTheSharedOptionsAndExitCodes() {
    for (String command : new String[] {"pe", "fewshot", "dpft"}) {
      Result r = run(command, "--help");
      assertEquals(0, r.code(), command);
      for (String option : new String[] {"--config", "--set", "--out", "--json", "Exit codes:"}) {
        assertTrue(r.out().contains(option), command + " --help lacks " + option + ":\n" + r.out());
      }
    }
  }

  @Test
  void accountGaussianJsonGivesTheKnownEpsilon() throws Exception {
    JsonNode j = json("account", "gaussian", "--sigma", "2.8284271", "--steps", "5", "--delta", "1e-5", "--json");
    assertEquals(3.341, j.get("epsilon").asDouble(), 0.01);
    assertEquals(1e-5, j.get("delta").asDouble(), 0);
    assertEquals(2.8284271, j.get("sigma").asDouble(), 0);
    assertEquals(5, j.get("steps").asLong());
  }

  @Test
  void accountGaussianCalibratesSigmaOnTheSafeSide() throws Exception {
    JsonNode j = json("account", "gaussian", "--epsilon", "1.0986122886681098", "--delta", "1e-5", "--json");
    double sigma = j.get("sigma").asDouble();
    assertEquals(11.728, sigma * sigma, 11.728 * 1e-3);
    assertTrue(j.get("epsilon").asDouble() <= Math.log(3));
  }

  @Test
  void accountLedgerTotalsEveryReleaseAndFiltersByDataset(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("privacy-ledger.jsonl");
    org.dpsynth.privacy.PrivacyLedger ledger = org.dpsynth.privacy.PrivacyLedger.open(file);
    for (int i = 0; i < 5; i++) {
      ledger.append(new org.dpsynth.privacy.LedgerEntry("run-a/release-" + i, "gaussian", 2.8284271, 1.0, 1, "run-a", "corpus-a",
          java.time.Instant.now().toString()));
    }
    ledger.append(new org.dpsynth.privacy.LedgerEntry("run-b/release-0", "gaussian", 1.0, 1.0, 1, "run-b", "corpus-b",
        java.time.Instant.now().toString()));
    Result a = run("account", "ledger", file.toString(), "--delta", "1e-5", "--dataset", "corpus-a", "--json");
    assertEquals(0, a.code(), a.err());
    JsonNode ja = new ObjectMapper().readTree(a.out());
    assertEquals(5, ja.get("releases").asInt());
    assertEquals(3.341, ja.get("epsilon").asDouble(), 0.01, "five releases at sigma 2*sqrt(2) compose like the CLI's gaussian case");
    Result all = run("account", "ledger", file.toString(), "--delta", "1e-5", "--json");
    JsonNode jall = new ObjectMapper().readTree(all.out());
    assertEquals(6, jall.get("releases").asInt());
    assertTrue(jall.get("epsilon").asDouble() > ja.get("epsilon").asDouble());
    Result missing = run("account", "ledger", dir.resolve("nope.jsonl").toString(), "--delta", "1e-5");
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("not found"), missing.err());
  }

  @Test
  void badArgumentsFailWithAClearMessageAndNoStackTrace() {
    Result r = run("account", "gaussian", "--sigma", "-1", "--steps", "5", "--delta", "1e-5");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--sigma"), r.err());
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
    Result missing = run("account", "gaussian", "--steps", "5", "--delta", "1e-5");
    assertTrue(missing.code() != 0 && missing.err().contains("--sigma"), missing.err());
  }
}
