package org.dpsynth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import org.dpsynth.privacy.PldAccountant;
import org.dpsynth.privacy.RdpAccountant;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code account poisson-gaussian}: ε of T Poisson-subsampled Gaussian steps (PLD by default, RDP
 * on request), or with {@code --epsilon} the calibrated noise multiplier.
 */
@Command(
    name = "poisson-gaussian",
    mixinStandardHelpOptions = true,
    description = {
      "Epsilon of T steps that each sample every user with probability Q and add Gaussian noise",
      "with standard deviation SIGMA times the L2 sensitivity (SIGMA is the noise multiplier);",
      "or, with --epsilon, the smallest SIGMA that keeps epsilon at or under the target.",
      "--method pld (default: privacy loss distribution with a dominating 'connect the dots'",
      "discretisation and bounded FFT round-off: a rigorous upper bound, typically within 1e-4",
      "relative of the true epsilon, also for 10^4+ steps) or rdp (Renyi DP, integer orders: looser)."
    })
final class PoissonGaussianCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  static final class Given {
    @Option(names = "--sigma", required = true, description = "Noise multiplier (noise stddev / sensitivity).")
    Double sigma;

    @Option(names = "--epsilon", required = true, description = "Target epsilon: print the calibrated sigma.")
    Double epsilon;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Given given;

  @Option(names = "--q", required = true, description = "Poisson sampling rate in (0, 1].")
  double q;

  @Option(names = "--steps", required = true, description = "Number of steps T.")
  long steps;

  @Option(names = "--delta", required = true, description = "Target delta.")
  double delta;

  @Option(names = "--method", defaultValue = "pld", description = "pld or rdp (default: ${DEFAULT-VALUE}).")
  String method;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (!method.equals("pld") && !method.equals("rdp")) {
      throw new IllegalArgumentException("--method must be pld or rdp, got " + method);
    }
    boolean pld = method.equals("pld");
    double sigma;
    if (given.sigma != null) {
      sigma = given.sigma;
    } else {
      sigma = pld
          ? PldAccountant.calibrateNoiseMultiplier(q, given.epsilon, delta, steps)
          : RdpAccountant.calibrateNoiseMultiplier(q, given.epsilon, delta, steps);
    }
    double epsilon = pld
        ? PldAccountant.epsilon(q, sigma, steps, delta)
        : RdpAccountant.epsilon(q, sigma, steps, delta);
    if (json) {
      ObjectNode o = JSON.createObjectNode();
      o.put("mechanism", "poisson-gaussian");
      o.put("method", method);
      o.put("epsilon", epsilon);
      o.put("delta", delta);
      o.put("sigma", sigma);
      o.put("steps", steps);
      o.put("q", q);
      System.out.println(JSON.writeValueAsString(o));
    } else {
      System.out.printf("epsilon = %.6g  (delta = %.3g, sigma = %.6g, q = %.6g, steps = %d, method = %s)%n",
          epsilon, delta, sigma, q, steps, method);
    }
    return 0;
  }
}
