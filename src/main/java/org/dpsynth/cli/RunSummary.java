package org.dpsynth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dpsynth.run.RunDirectory;

/**
 * The last stdout line of {@code pe}, {@code fewshot} and {@code dpft} with {@code --json}: one
 * JSON object for a scheduler (Airflow XCom) with the run id, status, (epsilon, delta) and the
 * output locations. It holds only what the public manifest holds.
 *
 * <p>Status is {@code complete}, {@code budget_exhausted} (the dataset's budget cannot pay for the
 * run: retrying will not help) or {@code failed}.
 */
record RunSummary(String command, String runId, String status, Double epsilon, Double delta, Map<String, String> outputs) {
  private static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  /**
   * The summary of a finished run, from its public manifest.
   *
   * @param outputs output name -> path in the run directory (printed as fully qualified URIs)
   */
  static RunSummary fromManifest(String command, RunDirectory run, Map<String, org.apache.hadoop.fs.Path> outputs) {
    JsonNode m = run.readJson(run.manifest());
    JsonNode privacy = m.path("privacy");
    Map<String, String> out = new LinkedHashMap<>();
    new java.util.TreeMap<>(outputs).forEach((name, path) -> out.put(name, uri(path)));
    return new RunSummary(command, m.path("run_id").asText(null), m.path("status").asText("running"),
        privacy.hasNonNull("epsilon") ? privacy.get("epsilon").asDouble() : null,
        privacy.hasNonNull("delta") ? privacy.get("delta").asDouble() : null, out);
  }

  /** A fully qualified URI; local paths as {@code file:///abs/path} (Hadoop prints {@code file:/abs/path}). */
  static String uri(org.apache.hadoop.fs.Path p) {
    java.net.URI u = p.toUri();
    return "file".equals(u.getScheme()) && u.getAuthority() == null ? "file://" + u.getPath() : p.toString();
  }

  /** The summary of a run that stopped with {@code error}: no run id or epsilon is claimed. */
  static RunSummary failed(String command, Throwable error) {
    String status = error instanceof org.dpsynth.privacy.PrivacyBudget.ExceededException ? "budget_exhausted" : "failed";
    return new RunSummary(command, null, status, null, null, Map.of());
  }

  /** One line of JSON: the record's fields in order, keys in snake_case ({@code run_id}). */
  String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write the run summary", e);
    }
  }

  /** A job the command runs; it returns the summary of the finished run. */
  interface Job {
    RunSummary run();
  }

  /**
   * Runs {@code job}; with {@code json}, prints the summary (or the failure status) as the last
   * stdout line. A failure is rethrown, so the exit code and the error message stay as without it.
   */
  static int runAndPrint(String command, boolean json, PrintStream stdout, Job job) {
    try {
      RunSummary s = job.run();
      if (json) {
        stdout.println(s.toJson());
      }
      return 0;
    } catch (RuntimeException e) {
      if (json) {
        stdout.println(failed(command, e).toJson());
      }
      throw e;
    }
  }
}
