package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Airflow DAG (submit/airflow/dpsynth_pe_dag.py). Airflow itself cannot be installed from the
 * registries this project reaches (not on the reachable package index, not a Debian package), so
 * python3 runs the DAG file with stand-ins for DAG and BashOperator that record their arguments,
 * and renders the task's templated fields with Jinja2 as Airflow does (StrictUndefined). The
 * rendered command is then run by bash, as BashOperator runs it, with submit/cluster.sh in dry-run
 * mode (DPSYNTH_DRY_RUN=1), which prints the spark-submit command line instead of running it.
 */
class AirflowDagTest {
  /**
   * Debian's Python, whose Jinja2 is the Debian package .ci/run installs (python3-jinja2): not
   * whatever python3 comes first on PATH (a pyenv or virtualenv may or may not carry Jinja2).
   */
  private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

  static final String DAG = "submit/airflow/dpsynth_pe_dag.py";
  static final String HARNESS = "src/test/resources/org/dpsynth/cli/run_airflow_dag.py";
  static final ObjectMapper JSON = new ObjectMapper();
  static final Map<String, String> SHARED = Map.of(
      "dpsynth_master", "spark://spark-master.example:7077",
      "dpsynth_runs", "hdfs://nn.example:8020/dpsynth/runs/pe",
      // A URL with characters the shell would split or expand if it were not quoted.
      "dpsynth_ledger", "jdbc:postgresql://db.example:5432/dpsynth?sslmode=require&connectTimeout=10",
      "dpsynth_total_epsilon", "7.5",
      "dpsynth_ledger_user", "dpsynth",
      "dpsynth_ledger_password_env", "DPSYNTH_LEDGER_PASSWORD");

  static JsonNode dag;
  /** spark-submit command lines: [0] 2026-03-01 try 1, [1] the same day's retry, [2] the next day, [3]-[4] with Variables set. */
  static final List<List<String>> submits = new ArrayList<>();

  @BeforeAll
  static void runTheDag() throws Exception {
    String renders = JSON.writeValueAsString(List.of(
        Map.of("ds", "2026-03-01", "run_id", "scheduled__2026-03-01T00:00:00+00:00", "try_number", 1, "variables", Map.of()),
        Map.of("ds", "2026-03-01", "run_id", "scheduled__2026-03-01T00:00:00+00:00", "try_number", 2, "variables", Map.of()),
        Map.of("ds", "2026-03-02", "run_id", "scheduled__2026-03-02T00:00:00+00:00", "try_number", 1, "variables", Map.of()),
        Map.of("ds", "2026-03-01", "run_id", "manual__2026-03-05T09:13:00+00:00", "try_number", 3, "variables", SHARED),
        Map.of("ds", "2026-03-02", "run_id", "scheduled__2026-03-02T00:00:00+00:00", "try_number", 1, "variables", SHARED)));
    String home = Path.of("").toAbsolutePath().toString();
    dag = JSON.readTree(run(List.of(PYTHON, HARNESS, DAG, renders), Map.of("DPSYNTH_HOME", home)));
    for (JsonNode r : dag.get("renders")) {
      Map<String, String> env = new HashMap<>();
      r.get("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
      env.put("DPSYNTH_DRY_RUN", "1");
      submits.add(List.of(run(List.of("bash", "-c", r.get("bash_command").asText()), env).split("\n")));
    }
  }

  /** The dpsynth arguments: what follows the jar on the spark-submit command line. */
  static List<String> appArgs(List<String> submit) {
    int jar = submit.indexOf(submit.stream().filter(s -> s.matches(".*dpsynth-[^/]*\\.jar")).findFirst().orElseThrow());
    return submit.subList(jar + 1, submit.size());
  }

  static List<String> sets(List<String> args) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size() - 1; i++) {
      if (args.get(i).equals("--set")) {
        out.add(args.get(i + 1));
      }
    }
    return out;
  }

  static String set(List<String> args, String key) {
    return sets(args).stream().filter(s -> s.startsWith(key + "=")).map(s -> s.substring(key.length() + 1))
        .findFirst().orElseThrow(() -> new AssertionError("no --set " + key + " in " + args));
  }

  @Test
  void aRetryOfTheSameLogicalDateRunsInTheSameRunDirectory() {
    String out = value(appArgs(submits.get(0)), "--out");
    assertEquals("hdfs:///dpsynth/runs/pe-fortunes/2026-03-01", out, "default runs parent + {{ ds }}");
    assertEquals(out, value(appArgs(submits.get(1)), "--out"), "the retry resumes the same run directory");
    assertNotEquals(out, value(appArgs(submits.get(2)), "--out"), "the next day is a run of its own");
    assertEquals("hdfs://nn.example:8020/dpsynth/runs/pe/2026-03-01", value(appArgs(submits.get(3)), "--out"),
        "a later manual re-run of that date (another run id and try) still resumes it");
    // The whole command, not only --out, is the same for every try of a date: same fingerprint, same run.
    assertEquals(submits.get(0), submits.get(1));
  }

  @Test
  void everyRunChargesTheSharedLedgerUnderTheCap() throws Exception {
    for (int i = 0; i < submits.size(); i++) {
      List<String> args = appArgs(submits.get(i));
      // The keys exist and have the right types: the job config loads with these overrides.
      JobConfig cfg = ConfigLoader.load(Path.of("conf").resolve(value(args, "--config")), sets(args));
      assertTrue(cfg.budget().totalEpsilon() > 0, "a cap is set: " + args);
      assertTrue(cfg.budget().totalEpsilon() >= cfg.privacy().epsilon(), "the cap admits at least one run: " + args);
      assertFalse(cfg.budget().ledger().contains("2026-03"), "the ledger is not per run: " + cfg.budget().ledger());
    }
    // Defaults: one ledger directory on HDFS for the dataset, and a cap of 12.
    assertEquals("hdfs:///dpsynth/privacy-ledgers/fortunes-private", set(appArgs(submits.get(0)), "budget.ledger"));
    assertEquals(set(appArgs(submits.get(0)), "budget.ledger"), set(appArgs(submits.get(2)), "budget.ledger"), "two days, one ledger");
    assertEquals(12.0, Double.parseDouble(set(appArgs(submits.get(0)), "budget.total_epsilon")));
    // From Airflow Variables, passed verbatim through the shell (& and ? intact).
    List<String> shared = appArgs(submits.get(3));
    assertEquals(SHARED.get("dpsynth_ledger"), set(shared, "budget.ledger"));
    assertEquals(set(shared, "budget.ledger"), set(appArgs(submits.get(4)), "budget.ledger"));
    assertEquals("7.5", set(shared, "budget.total_epsilon"));
    assertEquals("dpsynth", set(shared, "budget.ledger_user"));
    assertEquals("DPSYNTH_LEDGER_PASSWORD", set(shared, "budget.ledger_password_env"), "the variable's name, not a password");
    assertEquals(SHARED.get("dpsynth_master"), value(submits.get(3), "--master"));
  }

  @Test
  void budgetExhaustedIsSkippedNotRetriedAndTheJsonLineGoesToXcom() {
    JsonNode task = dag.get("task");
    JsonNode skip = task.get("skip_on_exit_code");
    List<Integer> skipped = new ArrayList<>();
    if (skip.isArray()) {
      skip.forEach(c -> skipped.add(c.asInt()));
    } else {
      skipped.add(skip.asInt());
    }
    // Main.BUDGET_EXHAUSTED is what dpsynth exits with when the cap refuses a run.
    assertEquals(List.of(Main.BUDGET_EXHAUSTED), skipped, "exit 3 skips the task; no other code does");
    assertTrue(dag.get("dag").get("default_args").get("retries").asInt() >= 1, "other failures are retried (and resume)");
    // Client mode: the driver is the task's process, so its exit code and stdout are the task's.
    for (List<String> submit : submits) {
      assertEquals("client", value(submit, "--deploy-mode"));
      assertTrue(appArgs(submit).contains("--json"), "the last stdout line is the run's JSON summary");
    }
    assertTrue(task.get("do_xcom_push").asBoolean(), "BashOperator pushes the last output line to XCom");
    assertTrue(task.get("append_env").asBoolean(), "the worker's environment (PATH, the ledger password) is kept");
  }

  @Test
  void theDagRunsClusterShWhichKeepsTheClustersSparkDefaults() {
    for (List<String> submit : submits) {
      assertEquals("spark-submit", submit.get(0), "cluster.sh's dry run: " + submit);
      assertFalse(submit.contains("--properties-file"), "a properties file would hide the cluster's spark-defaults.conf");
      assertTrue(submit.contains("spark.serializer=org.apache.spark.serializer.KryoSerializer"), "our settings are --conf pairs");
      assertEquals("org.dpsynth.cli.Main", value(submit, "--class"));
      // The job config is shipped with the job and passed by name.
      assertEquals("pe-fortunes.yaml", value(appArgs(submit), "--config"));
      assertTrue(value(submit, "--files").contains("/conf/pe-fortunes.yaml"), submit.toString());
      assertEquals("pe", appArgs(submit).get(0));
    }
  }

  private static String value(List<String> argv, String flag) {
    int i = argv.indexOf(flag);
    assertTrue(i >= 0 && i + 1 < argv.size(), flag + " in " + argv);
    return argv.get(i + 1);
  }

  private static String run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + " failed:\n" + out);
    return out.strip();
  }
}
