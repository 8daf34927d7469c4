package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Airflow DAG and submit/cluster.sh must submit the same jar, class, Spark settings and
 * arguments. The DAG is parsed with Python's ast (no Airflow needed); cluster.sh prints its
 * spark-submit command with DPSYNTH_DRY_RUN=1.
 */
class AirflowDagTest {
  private static final String PARSE_DAG = String.join("\n",
      "import ast, json, sys",
      "tree = ast.parse(open(sys.argv[1]).read())",
      "consts = {}",
      "for node in ast.walk(tree):",
      "    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):",
      "        try: consts[node.targets[0].id] = ast.literal_eval(node.value)",
      "        except Exception: pass",
      "def ev(n):",
      "    if isinstance(n, ast.JoinedStr):",
      "        return ''.join(str(consts[v.value.id]) if isinstance(v, ast.FormattedValue) else v.value for v in n.values)",
      "    if isinstance(n, ast.Name): return consts[n.id]",
      "    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add): return ev(n.left) + ev(n.right)",
      "    if isinstance(n, ast.List): return [ev(e) for e in n.elts]",
      "    if isinstance(n, ast.Dict): return {ev(k): ev(v) for k, v in zip(n.keys, n.values)}",
      "    return ast.literal_eval(n)",
      "calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, 'id', '') == 'SparkSubmitOperator']",
      "assert len(calls) == 1, 'expected one SparkSubmitOperator'",
      "print(json.dumps({k.arg: ev(k.value) for k in calls[0].keywords}))");

  @Test
  void dagAndClusterScriptSubmitTheSameJob() throws Exception {
    JsonNode dag = new ObjectMapper().readTree(run(List.of("python3", "-c", PARSE_DAG, "submit/airflow/dpsynth_pe_dag.py"), Map.of()));
    List<String> submit = List.of(run(List.of("bash", "submit/cluster.sh", "--master", "yarn", "--deploy-mode", "cluster",
        "--", "pe", "--config", "conf/pe-fortunes.yaml", "--out", "/data/dpsynth/runs/x"), Map.of("DPSYNTH_DRY_RUN", "1")).split("\n"));

    assertEquals(value(submit, "--class"), dag.get("java_class").asText());
    assertEquals(value(submit, "--deploy-mode"), dag.get("deploy_mode").asText());
    int jarAt = submit.indexOf(submit.stream().filter(s -> s.matches(".*dpsynth-[^/]*\\.jar")).findFirst().orElseThrow());
    assertEquals(Path.of(submit.get(jarAt)).getFileName().toString(), Path.of(dag.get("application").asText()).getFileName().toString());
    assertEquals(Path.of(value(submit, "--properties-file")).getFileName().toString(),
        Path.of(dag.get("properties_file").asText()).getFileName().toString());

    // The same --conf settings (the Java 17 options) on both sides.
    List<String> confs = new ArrayList<>();
    for (int i = 0; i < submit.size() - 1; i++) {
      if (submit.get(i).equals("--conf")) {
        confs.add(submit.get(i + 1));
      }
    }
    assertEquals(confs.size(), dag.get("conf").size());
    for (String c : confs) {
      String key = c.substring(0, c.indexOf('='));
      assertEquals(c.substring(c.indexOf('=') + 1), dag.get("conf").get(key).asText(), key);
    }

    // The same dpsynth arguments: subcommand and options, with the config of the same name.
    List<String> appArgs = submit.subList(jarAt + 1, submit.size());
    JsonNode dagArgs = dag.get("application_args");
    assertEquals(appArgs.size(), dagArgs.size());
    for (int i = 0; i < appArgs.size(); i++) {
      String a = appArgs.get(i);
      String b = dagArgs.get(i).asText();
      if (a.startsWith("-") || i == 0) {
        assertEquals(a, b);
      } else if (a.startsWith("conf/")) {
        assertEquals(Path.of(a).getFileName(), Path.of(b).getFileName());
        assertTrue(Files.isRegularFile(Path.of(a)), "the DAG's config exists in conf/: " + a);
      }
    }
  }

  private static String value(List<String> argv, String flag) {
    return argv.get(argv.indexOf(flag) + 1);
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
