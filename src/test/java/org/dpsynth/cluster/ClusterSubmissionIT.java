package org.dpsynth.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.dpsynth.cli.Main;
import org.dpsynth.run.Ledgers;
import org.dpsynth.foundation.openai.OpenAiCompatibleServer;
import org.dpsynth.testing.SharedClusters;
import org.dpsynth.testing.StandaloneSpark;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * submit/cluster.sh as the README documents it, on a real standalone cluster (a Master and two
 * Workers on 127.0.0.1, the JVM's shared one: {@link SharedClusters}) whose executors run in working directories of their own, while the driver
 * (client mode) runs in another one holding the job's files under relative paths: the config
 * ({@code --config conf/job.yaml}, shipped with the job by cluster.sh), the input and a custom
 * prompt templates directory. Both models are OpenAI-compatible endpoints (a real HTTP server on
 * 127.0.0.1) whose API key reaches the executors only through {@code spark.executorEnv}: the Worker
 * JVMs do not have it. With the event log and the UI on, the key's value appears in neither.
 * A third test puts the input, the run directory and the ledger on HDFS, so that nothing relies on
 * a local path the driver and the executors happen to share on this one host, and runs the
 * Airflow DAG's command (shared ledger, cap) into exit code 3.
 */
class ClusterSubmissionIT {
  static final String KEY_ENV = SharedClusters.HIDDEN_FROM_WORKERS;
  static final String KEY = "sk-dpsynth-canary-7c1e4b9d2a";
  static final String TEMPLATE_MARKER = "CUSTOM-TEMPLATE-3f8a";

  @TempDir static Path dir;
  static StandaloneSpark cluster;
  static OpenAiCompatibleServer server;
  static Path driverDir;

  @BeforeAll
  static void start() throws Exception {
    cluster = SharedClusters.spark();
    server = OpenAiCompatibleServer.start(0, 64, Duration.ofMinutes(20));
    // The driver's working directory: config, input and prompts under relative paths.
    driverDir = Files.createDirectories(dir.resolve("driver"));
    Files.createDirectories(driverDir.resolve("conf"));
    Files.copy(Path.of("conf/pe-fortunes.yaml"), driverDir.resolve("conf/job.yaml"));
    Files.createDirectories(driverDir.resolve("data"));
    List<String> all = Files.readAllLines(Path.of("data-samples/fortunes-private.jsonl"));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 16) {
      lines.add(all.get(i));
    }
    Files.write(driverDir.resolve("data/slice.jsonl"), lines);
    Path prompts = Files.createDirectories(driverDir.resolve("prompts"));
    Files.writeString(prompts.resolve("random.txt"),
        TEMPLATE_MARKER + ": write about {length} words of category \"{label}\" on \"{keyword}\". Text only.");
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  record Submitted(int code, String console, String uiEnvironmentJson, String uiEnvironmentPage) {}

  /** Submits PE from the driver directory and, while it runs, fetches the UI's environment page. */
  static Submitted submit(String out, Path eventLog, int uiPort) throws Exception {
    return submit(driverDir, out, eventLog, uiPort);
  }

  /**
   * Submits PE with {@code cwd} as the driver's working directory; {@code moreSets} are further
   * {@code --set KEY=VALUE} overrides, after (so winning over) the common ones.
   */
  static Submitted submit(Path cwd, String out, Path eventLog, int uiPort, String... moreSets) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", Path.of("submit/cluster.sh").toAbsolutePath().toString(),
        "--master", cluster.masterUrl(),
        "--conf", "spark.executor.memory=1g", "--conf", "spark.executor.cores=1", "--conf", "spark.cores.max=2",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        // The documented way to give executors the key: the driver has it in its own environment.
        "--conf", "spark.executorEnv." + KEY_ENV + "=" + KEY,
        // Uncompressed (Spark 4 compresses event logs by default), so that a search for the key means something.
        "--conf", "spark.eventLog.enabled=true", "--conf", "spark.eventLog.dir=" + eventLog.toUri(),
        "--conf", "spark.eventLog.compress=false",
        "--conf", "spark.ui.enabled=true", "--conf", "spark.ui.port=" + uiPort,
        "--conf", "spark.dpsynth.progress.intervalSeconds=0",
        "--", "pe", "--config", "conf/job.yaml", "--out", out, "--json",
        "--set", "input.path=data/slice.jsonl", "--set", "privacy.noise=seeded:7",
        "--set", "labels.proportions=public",
        "--set", "pe.iterations=2", "--set", "pe.population_size=24",
        "--set", "generator.type=openai", "--set", "generator.base_url=" + server.baseUrl(), "--set", "generator.model=test-chat",
        "--set", "generator.api_key_env=" + KEY_ENV, "--set", "generator.prompt_templates_dir=prompts",
        "--set", "embedder.type=openai", "--set", "embedder.base_url=" + server.baseUrl(), "--set", "embedder.model=test-embed",
        "--set", "embedder.api_key_env=" + KEY_ENV));
    for (String set : moreSets) {
      cmd.addAll(List.of("--set", set));
    }
    Path log = Files.createTempFile(dir, "submit", ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put(KEY_ENV, KEY);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    String envJson = null;
    String envPage = null;
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (p.isAlive() && System.nanoTime() < deadline) {
      if (envJson == null) {
        try {
          String base = "http://127.0.0.1:" + uiPort;
          JsonNode apps = new ObjectMapper().readTree(get(http, base + "/api/v1/applications"));
          if (apps.size() > 0) {
            envJson = get(http, base + "/api/v1/applications/" + apps.get(0).get("id").asText() + "/environment");
            envPage = get(http, base + "/environment/");
          }
        } catch (IOException e) {
          // the UI is not up yet
        }
      }
      Thread.sleep(300);
    }
    assertTrue(p.waitFor(1, java.util.concurrent.TimeUnit.MINUTES), "the job finished");
    return new Submitted(p.exitValue(), Files.readString(log), envJson, envPage);
  }

  static String get(HttpClient http, String url) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(url + ": HTTP " + r.statusCode());
    }
    return r.body();
  }

  @Test
  void thePeJobRunsFromAnotherWorkingDirectoryWithTheKeyOnExecutorsAndNowhereInTheUiOrEventLog() throws Exception {
    Path out = dir.resolve("run-abs");
    Path events = Files.createDirectories(dir.resolve("events"));
    server.resetStats();
    Submitted s = submit(out.toString(), events, StandaloneSpark.freePort());
    String console = s.console();
    assertEquals(0, s.code(), console);

    // --json: the last stdout line is the run's summary.
    List<String> lines = console.lines().filter(l -> !l.isBlank()).toList();
    JsonNode summary = new ObjectMapper().readTree(lines.get(lines.size() - 1));
    assertEquals("pe", summary.get("command").asText());
    assertEquals("complete", summary.get("status").asText());
    assertNotNull(summary.get("run_id").textValue());
    assertTrue(summary.get("epsilon").asDouble() > 0, summary.toString());
    assertEquals(1e-6, summary.get("delta").asDouble());
    assertEquals("file://" + out.resolve("public/synthetic").toAbsolutePath(), summary.get("outputs").get("synthetic").asText());
    assertTrue(Files.exists(out.resolve("public/synthetic/_SUCCESS")));

    // Progress on the console: partitions of the private corpus, model calls on synthetic samples.
    assertTrue(console.lines().anyMatch(l -> l.matches("progress: embedding the private corpus: \\d+/\\d+ partitions, .*")), console);
    assertTrue(console.lines().anyMatch(l -> l.matches("progress: model calls \\(variations\\): \\d+/\\d+ partitions, \\d+/\\d+ variations, .*")), console);
    // The log4j2 config was found in client mode: no Spark INFO lines on the console.
    assertFalse(console.lines().anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d INFO .*") || l.contains(" INFO SparkContext")), console);

    // Executors used the key they got through spark.executorEnv (the Workers never had it), and the
    // prompt templates shipped from the driver's relative directory.
    List<OpenAiCompatibleServer.RecordedRequest> requests = server.requests();
    assertTrue(requests.size() > 10, "the run used the server");
    assertTrue(requests.stream().allMatch(r -> ("Bearer " + KEY).equals(r.authorization())), "every request carried the key");
    assertTrue(requests.stream().anyMatch(r -> r.body().contains(TEMPLATE_MARKER)), "executors used the shipped prompt templates");

    // The key's value is nowhere: console, UI environment (REST and page), event log, run directory.
    assertFalse(console.contains(KEY), "key on the console");
    assertNotNull(s.uiEnvironmentJson(), "the UI's environment page was read while the job ran");
    assertFalse(s.uiEnvironmentJson().contains(KEY), "key in the UI environment (REST)");
    assertFalse(s.uiEnvironmentPage().contains(KEY), "key in the UI environment page");
    assertTrue(s.uiEnvironmentJson().contains("spark.executorEnv." + KEY_ENV), "the setting itself is listed (redacted)");
    String eventLog = readAll(events);
    assertTrue(eventLog.contains("SparkListenerEnvironmentUpdate"), "the event log was written");
    assertTrue(eventLog.contains("\"spark.executorEnv." + KEY_ENV + "\":\"*********(redacted)\""),
        "the setting reached the event log, redacted: the search would see the key if it were there");
    assertFalse(eventLog.contains(KEY), "key in the event log");
    assertFalse(readAll(out).contains(KEY), "key in the run directory");
  }

  /**
   * A relative {@code --out} is resolved once, on the driver, against the driver's working
   * directory (RunDirectory makes it absolute), and executors get that absolute path: nothing lands
   * in their own working directories. (On several hosts an absolute local path is still each
   * host's own disk: on a real cluster --out is a Hadoop URI, as in the HDFS test below.)
   */
  @Test
  void aRelativeOutLeavesNothingInTheExecutorsWorkingDirectories() throws Exception {
    Submitted s = submit("runs/rel", Files.createDirectories(dir.resolve("events-rel")), StandaloneSpark.freePort());
    assertEquals(0, s.code(), s.console());
    assertTrue(Files.exists(driverDir.resolve("runs/rel/public/synthetic/_SUCCESS")), s.console());
    for (int w = 0; w < 2; w++) {
      try (Stream<Path> files = Files.walk(cluster.workDir(w))) {
        List<Path> stray = files.filter(f -> f.toString().contains("runs/rel")).toList();
        assertTrue(stray.isEmpty(), "run files in an executor's working directory: " + stray);
      }
    }
  }

  /**
   * Nothing relies on a local path that the driver and the executors share: the input, the run
   * directory and the dataset's ledger are on HDFS (a mini cluster on 127.0.0.1), the config and
   * the prompt templates are in a driver directory of their own under relative paths (shipped with
   * the job), and the executors run in the Workers' directories. The job completes and no run file
   * lands on a local disk. Then the command the Airflow DAG runs (client mode, the shared ledger,
   * budget.total_epsilon, --json) for the next day exits with 3 because the cap cannot pay for a
   * second run: its JSON line says budget_exhausted, and nothing is drawn or charged.
   */
  @Test
  void withInputRunDirectoryAndLedgerOnHdfsNoRunFileIsLocalAndTheCapStopsTheNextRunWithExitCode3() throws Exception {
    Configuration conf = new Configuration();
    String root = SharedClusters.hdfsRoot(ClusterSubmissionIT.class);
    try (FileSystem fs = FileSystem.newInstance(java.net.URI.create(root), conf)) {
      fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(driverDir.resolve("data/slice.jsonl").toUri()),
          new org.apache.hadoop.fs.Path(root + "/data/slice.jsonl"));
      Path cwd = Files.createDirectories(dir.resolve("driver-hdfs"));
      Files.createDirectories(cwd.resolve("conf"));
      Files.copy(driverDir.resolve("conf/job.yaml"), cwd.resolve("conf/job.yaml"));
      Files.createDirectories(cwd.resolve("prompts"));
      Files.copy(driverDir.resolve("prompts/random.txt"), cwd.resolve("prompts/random.txt"));
      Set<String> before = localFiles();
      String ledger = root + "/dpsynth/privacy-ledgers/fortunes";
      String[] dagSets = {"input.path=" + root + "/data/slice.jsonl", "budget.ledger=" + ledger, "budget.total_epsilon=5"};
      Path events = Files.createDirectories(dir.resolve("events-hdfs"));

      String run1 = root + "/dpsynth/runs/2026-03-01";
      Submitted first = submit(cwd, run1, events, StandaloneSpark.freePort(), dagSets);
      assertEquals(0, first.code(), first.console());
      JsonNode s1 = lastJson(first.console());
      assertEquals("complete", s1.get("status").asText(), s1.toString());
      assertEquals(run1 + "/public/synthetic", s1.get("outputs").get("synthetic").asText());
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path(run1 + "/public/synthetic/_SUCCESS")));
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path(run1 + "/public/manifest.json")));
      int charged = Ledgers.open(ledger, conf).entries().size();
      assertEquals(2, charged, "2 histograms in the ledger on HDFS (label shares are public in this job)");

      // New local files: Spark's own (executor logs, shipped files in the Workers' directories, the
      // event log, our console log), never a run file; the driver's directory is untouched.
      Set<String> added = new TreeSet<>(localFiles());
      added.removeAll(before);
      for (String f : added) {
        assertTrue(f.startsWith("work0/") || f.startsWith("work1/") || f.startsWith("events-hdfs/") || f.matches("[^/]+\\.log"),
            "an unexpected local file: " + f);
        String name = Path.of(f).getFileName().toString();
        assertFalse(name.equals("_SUCCESS") || name.endsWith(".parquet") || name.endsWith(".jsonl")
            || name.equals("manifest.json") || name.equals("histogram.json") || name.equals("run-state.json"), "a run file on a local disk: " + f);
      }
      assertTrue(added.stream().noneMatch(f -> f.startsWith("driver-hdfs/")), "the driver's working directory is untouched: " + added);

      // The next day's run, as the DAG submits it: two runs at epsilon 4 compose to about 5.9 at
      // delta 1e-6 (mu-GDP), over the cap of 5: refused, exit code 3, nothing drawn.
      String run2 = root + "/dpsynth/runs/2026-03-02";
      Submitted second = submit(cwd, run2, events, StandaloneSpark.freePort(), dagSets);
      assertEquals(Main.BUDGET_EXHAUSTED, second.code(), second.console());
      assertEquals("budget_exhausted", lastJson(second.console()).get("status").asText());
      assertTrue(second.console().contains("budget exhausted: "), second.console());
      assertEquals(charged, Ledgers.open(ledger, conf).entries().size(), "nothing charged");
      assertFalse(fs.exists(new org.apache.hadoop.fs.Path(run2 + "/public/synthetic")), "nothing released");
    }
  }

  /** The last stdout line that is a JSON object (stderr lines may follow it in a merged console). */
  static JsonNode lastJson(String console) throws IOException {
    List<String> json = console.lines().filter(l -> l.startsWith("{")).toList();
    assertFalse(json.isEmpty(), console);
    return new ObjectMapper().readTree(json.get(json.size() - 1));
  }

  /**
   * Every regular file on the local disk that this test or the cluster may write: under {@code dir},
   * relative to it, and in the (shared) Workers' directories, as {@code workW/...}. The HDFS mini
   * cluster's storage is elsewhere (SharedClusters).
   */
  static Set<String> localFiles() throws IOException {
    Set<String> out = files(dir, "");
    for (int w = 0; w < 2; w++) {
      out.addAll(files(cluster.workDir(w), "work" + w + "/"));
    }
    return out;
  }

  /** Every regular file under {@code root}, relative to root, after {@code prefix}. */
  static Set<String> files(Path root, String prefix) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(Files::isRegularFile).map(f -> prefix + root.relativize(f))
          .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }
  }

  static String readAll(Path root) throws IOException {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        sb.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).append('\n');
      }
    }
    return sb.toString();
  }
}
