package org.dpsynth.cli;

import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.dpsynth.config.FewShotConfig;
import org.dpsynth.fewshot.FewShotGeneration;
import picocli.CommandLine.Command;

/** {@code fewshot}: DP few-shot demonstrations (Tang et al., ICLR 2024). */
@Command(
    name = "fewshot",
    description = {
      "DP few-shot generation: write in-context demonstrations per label, token by token, from",
      "noised next-token distributions of prompts holding Poisson-sampled private examples.",
      "Re-running on the same --out resumes (a complete run is not re-run or re-charged)."
    })
public final class FewShotCommand extends JobCommand {
  @Override
  public Integer call() {
    return job.run("fewshot", FewShotConfig::load,
        (spark, cfg, runDir) -> new FewShotGeneration(spark, cfg, runDir, System.out, PhaseHalt.fromSystemProperty()).run(),
        run -> Map.of("run_dir", run.root(), "demonstrations", new Path(run.publicDir(), "demonstrations"), "manifest", run.manifest()));
  }
}
