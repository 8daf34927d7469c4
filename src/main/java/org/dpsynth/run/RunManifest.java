package org.dpsynth.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import org.dpsynth.config.ConfigLoader;

/**
 * {@code public/manifest.json}, the same frame for every method: what ran (tool, version, method,
 * configuration), its run id and status, the noise source (a loud marker when it was a test
 * source), the dataset and its ledger; the method adds its privacy parameters. It holds no timings
 * and no counts over the private corpus: elapsed time grows with the private data
 * ({@link PrivateRun#timing} keeps timings under {@code private/}).
 */
public final class RunManifest {
  private RunManifest() {}

  /** The common fields; the caller adds a {@code privacy} object and method-specific public values. */
  public static ObjectNode of(PrivateRun run, String status, String sparkVersion, Object config) {
    ObjectNode m = RunDirectory.JSON.createObjectNode();
    m.put("tool", "dpsynth");
    m.put("version", Objects.requireNonNullElse(RunManifest.class.getPackage().getImplementationVersion(), "dev"));
    m.put("method", run.settings().method());
    m.put("status", status);
    m.put("run_id", run.runId());
    m.put("noise", run.settings().noise().isSecure() ? "secure" : run.settings().noise().description());
    ObjectNode budget = m.putObject("budget");
    budget.put("dataset", run.settings().dataset());
    budget.put("ledger", run.settings().ledger().location());
    if (run.settings().budgetCap() > 0) {
      budget.put("total_epsilon", run.settings().budgetCap());
    }
    ObjectNode versions = m.putObject("versions");
    versions.put("spark", sparkVersion);
    versions.put("java", System.getProperty("java.version"));
    m.set("config", ConfigLoader.toTree(config));
    return m;
  }

  public static void write(PrivateRun run, ObjectNode manifest) {
    run.dir().writeJson(run.dir().manifest(), manifest);
  }
}
