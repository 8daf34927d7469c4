package org.dpsynth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * What the {@code account} calculators share: the noise given ({@code --sigma}) or the target to
 * calibrate it for ({@code --epsilon}), {@code --delta}, and one way to print the result ({@code
 * --json}: one JSON object).
 */
final class AccountingOptions {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Exactly one of --sigma and --epsilon. */
  static final class Given {
    @Option(names = "--sigma", required = true, description = "The noise: its standard deviation (gaussian) or noise multiplier = standard deviation / sensitivity (poisson-gaussian).")
    Double sigma;

    @Option(names = "--epsilon", required = true, description = "Target epsilon: print the calibrated sigma.")
    Double epsilon;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Given given;

  @Option(names = "--delta", required = true, description = "Target delta.")
  double delta;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  /** The given sigma (checked: finite, > 0), or null when --epsilon asks for calibration. */
  Double givenSigma() {
    if (given.sigma != null && (!(given.sigma > 0) || !Double.isFinite(given.sigma))) {
      throw new IllegalArgumentException("--sigma must be a finite number > 0, got " + given.sigma);
    }
    return given.sigma;
  }

  /** Prints the result: with --json one object of the {@code keyValues} pairs (in order), else {@code text}. */
  void print(String text, Object... keyValues) throws Exception {
    if (json) {
      ObjectNode o = JSON.createObjectNode();
      for (int i = 0; i < keyValues.length; i += 2) {
        o.set((String) keyValues[i], JSON.valueToTree(keyValues[i + 1]));
      }
      System.out.println(JSON.writeValueAsString(o));
    } else {
      System.out.println(text);
    }
  }
}
