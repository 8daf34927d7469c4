package org.dpsynth.cli;

import java.util.concurrent.Callable;
import org.dpsynth.privacy.PldAccountant;
import org.dpsynth.privacy.RdpAccountant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
  @Mixin AccountingOptions options;

  @Option(names = "--q", required = true, description = "Poisson sampling rate in (0, 1].") double q;
  @Option(names = "--steps", required = true, description = "Number of steps T.") long steps;
  @Option(names = "--method", defaultValue = "pld", description = "pld or rdp (default: ${DEFAULT-VALUE}).") String method;

  @Override
  public Integer call() throws Exception {
    if (!method.equals("pld") && !method.equals("rdp")) {
      throw new IllegalArgumentException("--method must be pld or rdp, got " + method);
    }
    boolean pld = method.equals("pld");
    double delta = options.delta;
    Double given = options.givenSigma();
    double sigma;
    if (given != null) {
      sigma = given;
    } else {
      double target = options.given.epsilon;
      sigma = pld
          ? PldAccountant.calibrateNoiseMultiplier(q, target, delta, steps)
          : RdpAccountant.calibrateNoiseMultiplier(q, target, delta, steps);
    }
    double epsilon = pld
        ? PldAccountant.epsilon(q, sigma, steps, delta)
        : RdpAccountant.epsilon(q, sigma, steps, delta);
    options.print(String.format("epsilon = %.6g  (delta = %.3g, sigma = %.6g, q = %.6g, steps = %d, method = %s)",
        epsilon, delta, sigma, q, steps, method),
        "mechanism", "poisson-gaussian", "method", method, "epsilon", epsilon, "delta", delta, "sigma", sigma, "steps", steps, "q", q);
    return 0;
  }
}
