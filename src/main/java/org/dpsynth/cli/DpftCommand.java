package org.dpsynth.cli;

import java.util.Map;
import org.dpsynth.config.DpftConfig;
import org.dpsynth.dpft.DpFineTuning;
import picocli.CommandLine.Command;

/** {@code dpft}: DP fine-tuning (user-level DP-SGD) of a small language model, then sampling. */
@Command(
    name = "dpft",
    description = {
      "DP fine-tuning then sampling (Yue et al. 2023): fine-tune the public pretrained language model",
      "on the private corpus with user-level DP-SGD on Spark (Poisson-sampled users, per-user clipping,",
      "secure discrete Gaussian noise, RDP accounting), then sample synthetic texts per label.",
      "Re-running on the same --out directory resumes after the last checkpoint."
    })
public final class DpftCommand extends JobCommand {
  @Override
  public Integer call() {
    return job.run("dpft", DpftConfig::load,
        (spark, cfg, runDir) -> new DpFineTuning(spark, cfg, runDir, System.out, PhaseHalt.fromSystemProperty()).run(),
        run -> Map.of("run_dir", run.root(), "synthetic", run.synthetic(), "manifest", run.manifest()));
  }
}
