package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The Airflow DAG and submit/cluster.sh must submit the same jar, class, Spark settings, shipped
 * files and arguments. Airflow itself cannot be installed from the registries this project reaches
 * (it is not a Debian package), so the DAG file is executed by python3 with stand-ins for the two
 * Airflow classes it uses, which record the operator's arguments; cluster.sh prints its
 * spark-submit command with DPSYNTH_DRY_RUN=1.
 */
class AirflowDagTest {
  private static final String RUN_DAG = String.join("\n",
      "import json, runpy, sys, types",
      "captured = []",
      "class DAG:",
      "    def __init__(self, **kw): self.kw = kw",
      "    def __enter__(self): return self",
      "    def __exit__(self, *a): return False",
      "class SparkSubmitOperator:",
      "    def __init__(self, **kw): captured.append(kw)",
      "def module(name, **attrs):",
      "    m = types.ModuleType(name); m.__dict__.update(attrs); sys.modules[name] = m",
      "module('airflow', DAG=DAG)",
      "for n in ['airflow.providers', 'airflow.providers.apache', 'airflow.providers.apache.spark',",
      "          'airflow.providers.apache.spark.operators']: module(n)",
      "module('airflow.providers.apache.spark.operators.spark_submit', SparkSubmitOperator=SparkSubmitOperator)",
      "runpy.run_path(sys.argv[1], run_name='dag')",
      "assert len(captured) == 1, 'expected one SparkSubmitOperator'",
      "print(json.dumps(captured[0], default=str))");

  @Test
  void dagAndClusterScriptSubmitTheSameJob() throws Exception {
    String home = Path.of("").toAbsolutePath().toString();
    JsonNode dag = new ObjectMapper().readTree(run(List.of("python3", "-c", RUN_DAG, "submit/airflow/dpsynth_pe_dag.py"),
        Map.of("DPSYNTH_HOME", home)));
    List<String> appArgs = new ArrayList<>();
    dag.get("application_args").forEach(a -> appArgs.add(a.asText()));
    // The same dpsynth command through cluster.sh, with the config given as a local file.
    List<String> clusterCmd = new ArrayList<>(List.of("bash", "submit/cluster.sh", "--master", "yarn", "--deploy-mode", "cluster", "--"));
    for (int i = 0; i < appArgs.size(); i++) {
      clusterCmd.add(i > 0 && appArgs.get(i - 1).equals("--config") ? "conf/" + appArgs.get(i) : appArgs.get(i));
    }
    List<String> submit = List.of(run(clusterCmd, Map.of("DPSYNTH_DRY_RUN", "1")).split("\n"));

    assertFalse(submit.contains("--properties-file"), "a properties file would hide the cluster's spark-defaults.conf");
    assertFalse(dag.has("properties_file"), "a properties file would hide the cluster's spark-defaults.conf");
    assertEquals(value(submit, "--class"), dag.get("java_class").asText());
    assertEquals(value(submit, "--deploy-mode"), dag.get("deploy_mode").asText());
    int jarAt = submit.indexOf(submit.stream().filter(s -> s.matches(".*dpsynth-[^/]*\\.jar")).findFirst().orElseThrow());
    assertEquals(Path.of(submit.get(jarAt)).getFileName(), Path.of(dag.get("application").asText()).getFileName());

    // The same --conf settings: conf/spark-defaults.conf and the Java options of conf/java-options.
    Map<String, String> confs = new TreeMap<>();
    for (int i = 0; i < submit.size() - 1; i++) {
      if (submit.get(i).equals("--conf")) {
        String c = submit.get(i + 1);
        confs.put(c.substring(0, c.indexOf('=')), c.substring(c.indexOf('=') + 1));
      }
    }
    Map<String, String> dagConf = new TreeMap<>();
    dag.get("conf").fields().forEachRemaining(e -> dagConf.put(e.getKey(), e.getValue().asText()));
    assertEquals(confs, dagConf);
    assertTrue(confs.get("spark.executor.extraJavaOptions").contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"), confs.toString());
    assertEquals("org.apache.spark.serializer.KryoSerializer", confs.get("spark.serializer"));

    // The same files shipped (by name), the job config among them and passed by that name.
    TreeSet<String> files = new TreeSet<>();
    for (String f : value(submit, "--files").split(",")) {
      files.add(Path.of(f).getFileName().toString());
    }
    TreeSet<String> dagFiles = new TreeSet<>();
    for (String f : dag.get("files").asText().split(",")) {
      assertTrue(Files.isRegularFile(Path.of(f)), "the DAG ships an existing file: " + f);
      dagFiles.add(Path.of(f).getFileName().toString());
    }
    assertEquals(files, dagFiles);
    assertTrue(files.contains("log4j2.properties") && files.contains(value(appArgs, "--config")), files.toString());
    assertEquals(appArgs, submit.subList(jarAt + 1, submit.size()));
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
