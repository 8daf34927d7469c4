package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster on 127.0.0.1: a Master and two Workers as separate JVMs from the
 * Spark jars, the PE job submitted through submit/cluster.sh (spark-submit), and the same released
 * histograms as local mode under seeded noise.
 */
class StandaloneClusterIT {
  @TempDir static Path dir;
  static final List<Process> daemons = new ArrayList<>();
  static String masterUrl;
  static Path slice;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static String javaOpts() throws IOException {
    String pom = Files.readString(Path.of("pom.xml"));
    return pom.substring(pom.indexOf("<extraJavaTestArgs>") + 19, pom.indexOf("</extraJavaTestArgs>"));
  }

  static Process daemon(Path sparkHome, String name, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
    cmd.addAll(List.of(javaOpts().split("\\s+")));
    cmd.addAll(List.of("-cp", Files.readString(Path.of("target/classpath.txt")).strip()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_HOME", sparkHome.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    daemons.add(p);
    return p;
  }

  @BeforeAll
  static void startCluster() throws Exception {
    // Workers launch executors from $SPARK_HOME/jars: lay one out from the project's class path.
    Path sparkHome = Files.createDirectories(dir.resolve("spark-home"));
    Path jars = Files.createDirectories(sparkHome.resolve("jars"));
    for (String entry : Files.readString(Path.of("target/classpath.txt")).strip().split(java.io.File.pathSeparator)) {
      Path jar = Path.of(entry);
      if (entry.endsWith(".jar") && !Files.exists(jars.resolve(jar.getFileName()))) {
        Files.createSymbolicLink(jars.resolve(jar.getFileName()), jar.toAbsolutePath());
      }
    }
    int port = freePort();
    int ui = freePort();
    masterUrl = "spark://127.0.0.1:" + port;
    daemon(sparkHome, "master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(ui)));
    for (int w = 0; w < 2; w++) {
      daemon(sparkHome, "worker" + w, List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1", "--memory", "2g",
          "--webui-port", String.valueOf(freePort()), "--work-dir", Files.createDirectories(dir.resolve("work" + w)).toString(), masterUrl));
    }
    // Wait until the master reports both workers alive (bounded: 90 s).
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    int alive = 0;
    while (System.nanoTime() < deadline) {
      try {
        String json = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ui + "/json/")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        alive = new ObjectMapper().readTree(json).path("aliveworkers").asInt();
        if (alive == 2) {
          break;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(500);
    }
    assertEquals(2, alive, "two workers registered with the master; see logs in " + dir);

    List<String> all = Files.readAllLines(Path.of("data-samples/fortunes-private.jsonl"));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 12) {
      lines.add(all.get(i));
    }
    slice = dir.resolve("slice.jsonl");
    Files.write(slice, lines);
  }

  @AfterAll
  static void stopCluster() {
    for (Process p : daemons) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
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
    List<ProcessHandle> executors = daemons.stream().flatMap(Process::descendants)
        .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).toList();
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
