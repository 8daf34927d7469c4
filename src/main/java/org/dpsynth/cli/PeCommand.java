package org.dpsynth.cli;

import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.dpsynth.cluster.JobFiles;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.pe.PrivateEvolution;
import picocli.CommandLine.Command;

/** {@code pe}: Private Evolution with user-level DP. */
@Command(
    name = "pe",
    description = {
      "Private Evolution: make a DP synthetic corpus from the private corpus with only inference",
      "access to a generator and an embedder. Re-running the same command on the same --out",
      "directory resumes after the last complete iteration."
    })
public final class PeCommand extends JobCommand {
  @Override
  public Integer call() {
    return job.run("pe", ConfigLoader::load, (spark, cfg, runDir) -> {
      JobFiles.shipPromptTemplates(spark, cfg.generator());
      new PrivateEvolution(spark, cfg, runDir, System.out, PhaseHalt.fromSystemProperty()).run();
    }, run -> Map.of("run_dir", run.root(), "synthetic", run.synthetic(), "manifest", run.manifest(),
        "report", new Path(run.publicDir(), "report.html")));
  }
}
