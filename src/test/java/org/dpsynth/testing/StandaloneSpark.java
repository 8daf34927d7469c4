package org.dpsynth.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Spark standalone cluster on 127.0.0.1 for integration tests: a Master and Workers as
 * separate JVMs from the project's Spark jars, each Worker with its own work directory, which is
 * also the Worker JVM's working directory (so executors run in working directories of their own,
 * never the driver's or the project's; no relative path of the project resolves there).
 */
public final class StandaloneSpark implements AutoCloseable {
  private final List<Process> daemons = new ArrayList<>();
  private final Path dir;
  private String masterUrl;

  private StandaloneSpark(Path dir) {
    this.dir = dir;
  }

  /** A free TCP port on the loopback interface. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The Java options every dpsynth JVM gets: conf/java-options without its comment lines. */
  public static List<String> javaOptions() throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("conf/java-options"))) {
      if (!line.isBlank() && !line.strip().startsWith("#")) {
        out.add(line.strip());
      }
    }
    return out;
  }

  /**
   * Starts a Master and {@code workers} Workers (1 core, 2 GB each) with logs and work directories
   * under {@code dir}, and waits (at most 90 s) until all are registered. Worker JVMs do not inherit
   * the variables named in {@code withoutEnv}.
   */
  public static StandaloneSpark start(Path dir, int workers, String... withoutEnv) throws Exception {
    StandaloneSpark c = new StandaloneSpark(dir);
    try {
      c.startDaemons(workers, withoutEnv);
      return c;
    } catch (Exception | AssertionError e) {
      c.close();
      throw e;
    }
  }

  private void startDaemons(int workers, String... withoutEnv) throws Exception {
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
    daemon(sparkHome, dir, "master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
        "--port", String.valueOf(port), "--webui-port", String.valueOf(ui)), withoutEnv);
    for (int w = 0; w < workers; w++) {
      daemon(sparkHome, Files.createDirectories(workDir(w)), "worker" + w, List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
          "--memory", "2g", "--webui-port", String.valueOf(freePort()),
          "--work-dir", Files.createDirectories(workDir(w)).toString(), masterUrl), withoutEnv);
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    int alive = 0;
    while (System.nanoTime() < deadline) {
      try {
        String json = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ui + "/json/")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        alive = new ObjectMapper().readTree(json).path("aliveworkers").asInt();
        if (alive == workers) {
          break;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(500);
    }
    assertEquals(workers, alive, "workers registered with the master; see logs in " + dir);
  }

  private void daemon(Path sparkHome, Path cwd, String name, List<String> args, String... withoutEnv) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
    cmd.addAll(javaOptions());
    cmd.addAll(List.of("-cp", Files.readString(Path.of("target/classpath.txt")).strip()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_HOME", sparkHome.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    for (String v : withoutEnv) {
      pb.environment().remove(v);
    }
    daemons.add(pb.start());
  }

  public String masterUrl() {
    return masterUrl;
  }

  /** The work directory of worker {@code w}: executors run in subdirectories of it. */
  public Path workDir(int w) {
    return dir.resolve("work" + w);
  }

  /** Executor JVMs now running under the workers. */
  public List<ProcessHandle> executors() {
    return daemons.stream().flatMap(Process::descendants)
        .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).toList();
  }

  @Override
  public void close() {
    for (Process p : daemons) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }
}
