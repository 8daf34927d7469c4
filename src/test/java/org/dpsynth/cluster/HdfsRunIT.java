package org.dpsynth.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.run.Ledgers;
import org.dpsynth.testing.SharedClusters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's PE job with its input, run directory and dataset ledger on a real HDFS (Hadoop's
 * mini cluster on 127.0.0.1), run through {@code submit/local.sh}: the driver killed right after
 * a release (halt, like kill -9) resumes from HDFS, and the releases equal a local-mode run's on
 * {@code file://} bit for bit (seeded test noise); the ledger on HDFS holds each charge once, and
 * nothing lands on the driver's local disk.
 */
class HdfsRunIT {
  @TempDir static Path dir;
  /** This class's directory on the JVM's shared HDFS mini cluster ({@link SharedClusters}). */
  static String root;

  @BeforeAll
  static void startHdfs() throws Exception {
    root = SharedClusters.hdfsRoot(HdfsRunIT.class);
  }

  record Proc(int code, String out) {}

  /** Runs submit/local.sh with the driver's working directory at {@code cwd} (absolute paths for our files). */
  static Proc run(Path cwd, Map<String, String> env, List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", Path.of("submit/local.sh").toAbsolutePath().toString()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(cwd.toFile());
    pb.environment().put("DPSYNTH_DRIVER_MEMORY", "2g");
    pb.environment().put("SPARK_MASTER", "local[2]");
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Proc(p.waitFor(), out);
  }

  static List<String> peArgs(String input, String out, String ledger) {
    return List.of("pe", "--config", Path.of("conf/pe-fortunes.yaml").toAbsolutePath().toString(), "--out", out, "--json",
        "--set", "input.path=" + input, "--set", "privacy.noise=seeded:7", "--set", "budget.ledger=" + ledger,
        "--set", "pe.iterations=2", "--set", "pe.population_size=32");
  }

  static String releases(FileSystem fs, String run) throws IOException {
    ObjectMapper json = new ObjectMapper();
    StringBuilder sb = new StringBuilder();
    sb.append(json.readTree(fs.open(new org.apache.hadoop.fs.Path(run + "/public/labels.json"))).get("noisy_counts")).append('\n');
    for (int t = 1; t <= 2; t++) {
      JsonNode h = json.readTree(fs.open(new org.apache.hadoop.fs.Path(run + String.format("/public/iterations/%03d/histogram.json", t))));
      sb.append(h.get("noisy_votes")).append('\n');
    }
    return sb.toString();
  }

  @Test
  void aKilledDriverResumesOnHdfsToTheReleasesOfLocalMode() throws Exception {
    List<String> all = Files.readAllLines(Path.of("data-samples/fortunes-private.jsonl"));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 12) {
      lines.add(all.get(i));
    }
    Path local = Files.write(dir.resolve("slice.jsonl"), lines);
    Configuration conf = new Configuration();
    try (FileSystem fs = FileSystem.newInstance(URI.create(root), conf)) {
      fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path(root + "/data/slice.jsonl"));

      // Local mode on file:// is the reference.
      Path ref = dir.resolve("ref");
      Proc a = run(Path.of("").toAbsolutePath(), Map.of(), peArgs(local.toString(), ref.toUri().toString(), dir.resolve("ref-ledger.jsonl").toString()));
      assertEquals(0, a.code(), a.out());

      // The same job with everything on HDFS, the driver killed right after iteration 1's release.
      String out = root + "/dpsynth/runs/r1";
      String ledger = root + "/dpsynth/ledgers/fortunes";
      Path cwd = Files.createDirectories(dir.resolve("driver-cwd"));
      Proc killed = run(cwd, Map.of("DPSYNTH_JAVA_OPTS", "-Ddpsynth.haltAt=iteration-1-released"), peArgs(root + "/data/slice.jsonl", out, ledger));
      assertEquals(137, killed.code(), killed.out());
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path(out + "/public/iterations/001/histogram.json")), "released on HDFS before the kill");
      Proc resumed = run(cwd, Map.of(), peArgs(root + "/data/slice.jsonl", out, ledger));
      assertEquals(0, resumed.code(), resumed.out());
      assertTrue(resumed.out().contains("resuming run") && resumed.out().contains("reusing the released histogram"), resumed.out());
      String jsonLine = resumed.out().lines().filter(l -> l.startsWith("{\"command\"")).reduce((x, y) -> y).orElseThrow();
      JsonNode summary = new ObjectMapper().readTree(jsonLine);
      assertEquals("complete", summary.get("status").asText());
      assertTrue(summary.get("outputs").get("synthetic").asText().startsWith(root + "/dpsynth/runs/r1/public/synthetic"), jsonLine);

      FileSystem localFs = FileSystem.getLocal(conf);
      assertEquals(releases(localFs, ref.toUri().toString()), releases(fs, out), "HDFS and local mode release the same values");
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path(out + "/public/synthetic/_SUCCESS")));
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path(out + "/public/report.html")));

      // The ledger on HDFS: a directory of batches, each release charged once.
      List<LedgerEntry> entries = Ledgers.open(ledger, conf).entries();
      assertEquals(3, entries.size(), "labels + 2 histograms: " + entries);
      List<String> batches = new ArrayList<>();
      for (FileStatus s : fs.listStatus(new org.apache.hadoop.fs.Path(ledger))) {
        batches.add(s.getPath().getName());
      }
      assertTrue(batches.contains("000000001.json"), batches.toString());

      // Nothing under public/ but committed files; no temporary files anywhere in the run.
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(new org.apache.hadoop.fs.Path(out), true);
      while (it.hasNext()) {
        String p = it.next().getPath().toString();
        assertFalse(p.endsWith(".tmp") || p.contains("/_temporary/"), "left over: " + p);
      }
      // The driver wrote nothing relative to its working directory (no stray local run directory).
      try (var s = Files.list(cwd)) {
        assertEquals(0, s.count());
      }
    }
  }
}
