package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class PoissonGaussianCommandTest {

  @Test
  void printsThePublishedEpsilonWithBothMethods() throws Exception {
    // dp_accounting pld_privacy_accountant_test: q = 0.2, sigma = 0.5, 3 steps: delta 0.15594 at eps 1.
    JsonNode j = CliTest.json("account", "poisson-gaussian", "--q", "0.2", "--sigma", "0.5", "--steps", "3", "--delta", "0.15594", "--json");
    assertEquals(1.0, j.get("epsilon").asDouble(), 0.01);
    assertEquals("pld", j.get("method").asText());
    assertEquals(3, j.get("steps").asLong());
    JsonNode rdp = CliTest.json("account", "poisson-gaussian", "--q", "0.2", "--sigma", "0.5", "--steps", "3", "--delta", "0.15594",
        "--method", "rdp", "--json");
    assertTrue(rdp.get("epsilon").asDouble() > 1.0, "RDP is looser");
  }

  @Test
  void mnistDpSgdIsTightAndBelowRdp() throws Exception {
    // Issue 14's reference case (DP-SGD on MNIST, 60 epochs of batch 256): the PRV/PLD accountants
    // of the Python ecosystem report about 2.38, RDP about 2.60.
    String[] args = {"account", "poisson-gaussian", "--q", "0.0042666667", "--sigma", "1.1",
        "--steps", "14062", "--delta", "1e-5", "--json"};
    double pld = CliTest.json(args).get("epsilon").asDouble();
    assertEquals(2.38, pld, 0.01 * 2.38);
    String[] rdpArgs = java.util.Arrays.copyOf(args, args.length + 2);
    rdpArgs[args.length] = "--method";
    rdpArgs[args.length + 1] = "rdp";
    assertTrue(CliTest.json(rdpArgs).get("epsilon").asDouble() > pld + 0.2, "RDP is looser");
  }

  @Test
  void calibratesSigmaOnTheSafeSide() throws Exception {
    JsonNode j = CliTest.json("account", "poisson-gaussian", "--q", "0.1", "--epsilon", "2", "--steps", "20", "--delta", "1e-5", "--json");
    assertTrue(j.get("epsilon").asDouble() <= 2.0);
    assertTrue(j.get("epsilon").asDouble() > 1.95, "tight: " + j);
    CliTest.Result bad = CliTest.run("account", "poisson-gaussian", "--q", "0.1", "--sigma", "1",
        "--steps", "20", "--delta", "1e-5", "--method", "moments");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("--method"), bad.err());
  }
}
