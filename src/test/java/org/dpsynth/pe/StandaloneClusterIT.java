package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dpsynth.testing.SharedClusters;
import org.dpsynth.testing.StandaloneSpark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.dpsynth.testing.LocalScript;

/**
 * A real Spark standalone cluster on 127.0.0.1: a Master and two Workers as separate JVMs from the
 * Spark jars (the JVM's shared cluster, {@link SharedClusters}), the PE job submitted through submit/cluster.sh (spark-submit), and the same released
 * histograms as local mode under seeded noise.
 */
class StandaloneClusterIT {
  @TempDir static Path dir;
  static StandaloneSpark cluster;
  static String masterUrl;
  static Path slice;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = SharedClusters.spark();
    masterUrl = cluster.masterUrl();

    slice = LocalScript.everyNth("data-samples/fortunes-private.jsonl", 12, dir.resolve("slice.jsonl"));
  }

  static List<String> peArgs(Path out) {
    return List.of("pe", "--config", "conf/pe-fortunes.yaml", "--out", out.toString(),
        "--set", "input.path=" + slice, "--set", "privacy.noise=seeded:7",
        "--set", "pe.iterations=2", "--set", "pe.population_size=32");
  }

  static String run(List<String> cmd, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + "\n" + out);
    return out;
  }

  static String releases(Path out) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int t = 1; t <= 2; t++) {
      sb.append(new ObjectMapper().readTree(out.resolve(String.format("public/iterations/%03d/histogram.json", t)).toFile())
          .get("noisy_votes")).append('\n');
    }
    return sb.toString();
  }

  private static String localReleases;

  /** The releases of the same job in local mode (computed once). */
  static synchronized String localReleases() throws Exception {
    if (localReleases == null) {
      Path local = dir.resolve("local-run");
      List<String> localCmd = new ArrayList<>(List.of("bash", "submit/local.sh"));
      localCmd.addAll(peArgs(local));
      run(localCmd, Map.of("DPSYNTH_DRIVER_MEMORY", "2g"));
      localReleases = releases(local);
    }
    return localReleases;
  }

  static List<String> submit(Path out, String... extraConf) {
    List<String> cmd = new ArrayList<>(List.of("bash", "submit/cluster.sh", "--master", masterUrl,
        "--conf", "spark.executor.memory=1g", "--conf", "spark.executor.cores=1", "--conf", "spark.cores.max=2",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1"));
    for (String c : extraConf) {
      cmd.add("--conf");
      cmd.add(c);
    }
    cmd.add("--");
    cmd.addAll(peArgs(out));
    return cmd;
  }

  @Test
  void thePeJobOnAStandaloneClusterMatchesLocalMode() throws Exception {
    Path onCluster = dir.resolve("cluster-run");
    String out = run(submit(onCluster), Map.of("SPARK_LOCAL_IP", "127.0.0.1"));
    assertTrue(out.contains("done:"), out);
    assertEquals(localReleases(), releases(onCluster));
  }

  @Test
  void anExecutorKilledMidIterationChangesNothing() throws Exception {
    Path onCluster = dir.resolve("cluster-kill-run");
    // Vote tasks sleep 3 s (test-only hook), so an executor dies while iteration 1 votes.
    ProcessBuilder pb = new ProcessBuilder(submit(onCluster, "spark.dpsynth.test.voteTaskSleepMs=3000",
        "spark.task.maxFailures=4")).redirectErrorStream(true).redirectOutput(dir.resolve("kill-run.log").toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process job = pb.start();
    Path started = onCluster.resolve("public/iterations/000/population.parquet/_SUCCESS");
    long deadline = System.nanoTime() + java.time.Duration.ofMinutes(5).toNanos();
    while (!Files.exists(started) && job.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertTrue(Files.exists(started), "the job reached iteration 1; log: " + Files.readString(dir.resolve("kill-run.log")));
    Thread.sleep(1500);
    List<ProcessHandle> executors = cluster.executors();
    assertTrue(!executors.isEmpty(), "an executor JVM is running");
    executors.get(0).destroyForcibly();
    assertTrue(job.waitFor(10, java.util.concurrent.TimeUnit.MINUTES), "the job finished");
    String log = Files.readString(dir.resolve("kill-run.log"));
    assertEquals(0, job.exitValue(), log);
    assertTrue(log.contains("done:"), log);
    assertTrue(log.contains("Lost executor"), "the driver saw the executor die: " + log);
    assertEquals(localReleases(), releases(onCluster), "same releases as local mode after losing an executor");
  }
}
