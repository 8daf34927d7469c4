package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.dpsynth.testing.LocalScript;
import org.dpsynth.testing.LocalScript.Proc;

/** The README's launcher, run as users run it: submit/local.sh in a separate JVM. */
class LocalLauncherIT {
  @TempDir static Path dir;
  static Path slice;

  static Proc run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    return LocalScript.run(env, List.of(args));
  }

  @BeforeAll
  static void sliceOfTheSampleCorpus() throws IOException {
    slice = LocalScript.everyNth("data-samples/fortunes-private.jsonl", 12, dir.resolve("slice.jsonl"));
  }

  @Test
  void helpListsSubcommandsAndAccountPrintsTheKnownEpsilon() throws Exception {
    Proc help = run(Map.of(), "--help");
    assertEquals(0, help.code(), help.out());
    assertTrue(help.out().contains("pe") && help.out().contains("account"), help.out());
    Proc acc = run(Map.of(), "account", "gaussian", "--sigma", "2.8284271", "--steps", "5", "--delta", "1e-5", "--json");
    assertEquals(0, acc.code(), acc.out());
    String json = acc.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
    assertEquals(3.341, new ObjectMapper().readTree(json).get("epsilon").asDouble(), 0.01);
  }

  private static String[] peArgs(Path out) {
    return new String[] {"pe", "--config", "conf/pe-fortunes.yaml", "--out", out.toString(),
        "--set", "input.path=" + slice, "--set", "privacy.noise=seeded:7",
        "--set", "pe.iterations=2", "--set", "pe.population_size=32"};
  }

  private static String synthetic(Path out) throws IOException {
    // The histograms are the DP releases; with seeded noise they must match bit for bit.
    StringBuilder sb = new StringBuilder();
    for (int t = 1; t <= 2; t++) {
      JsonNode h = new ObjectMapper().readTree(out.resolve(String.format("public/iterations/%03d/histogram.json", t)).toFile());
      sb.append(h.get("noisy_votes")).append('\n');
    }
    return sb.toString();
  }

  @Test
  void localOneAndLocalTwoGiveTheSameReleasesAndAKilledDriverResumes() throws Exception {
    Path one = dir.resolve("local1");
    Proc a = run(Map.of("SPARK_MASTER", "local[1]"), peArgs(one));
    assertEquals(0, a.code(), a.out());
    assertTrue(a.out().contains("WARNING: noise source is seeded"), a.out());
    assertTrue(a.out().contains("epsilon"), a.out());
    Path two = dir.resolve("local2");
    Proc b = run(Map.of("SPARK_MASTER", "local[2]"), peArgs(two));
    assertEquals(0, b.code(), b.out());
    assertEquals(synthetic(one), synthetic(two));

    // A driver killed (halt, no shutdown hooks) right after a release resumes to the same result.
    Path killed = dir.resolve("killed");
    Proc k = run(Map.of("DPSYNTH_JAVA_OPTS", "-Ddpsynth.haltAt=iteration-2-released"), peArgs(killed));
    assertEquals(137, k.code(), k.out());
    Proc r = run(Map.of(), peArgs(killed));
    assertEquals(0, r.code(), r.out());
    assertTrue(r.out().contains("reusing the released histogram"), r.out());
    assertEquals(synthetic(one), synthetic(killed));
    assertEquals(3, org.dpsynth.testing.RunLedger.entries(killed).size(), "2 histograms + 1 label release, each once");
  }

  /** The last stdout line of a --json run, parsed. */
  private static JsonNode summary(Proc p) throws IOException {
    List<String> lines = p.out().lines().filter(l -> !l.isBlank()).toList();
    return new ObjectMapper().readTree(lines.get(lines.size() - 1));
  }

  /**
   * The acceptance command of issue 18, {@code submit/local.sh pe --config conf/pe-fortunes.yaml
   * --out file:///ABSOLUTE/DIR --json} (on a slice of the corpus, 2 iterations): a driver killed
   * after the first release resumes under the same run id, and the same command once more finds
   * the run complete, prints the same summary and charges nothing new.
   */
  @Test
  void theAcceptanceCommandWithAFileUriResumesAndThenFindsTheRunComplete() throws Exception {
    Path out = dir.resolve("uri-run").toAbsolutePath();
    String uri = "file://" + out;
    assertTrue(uri.startsWith("file:///"), uri);
    String[] args = {"pe", "--config", "conf/pe-fortunes.yaml", "--out", uri, "--json",
        "--set", "input.path=" + slice, "--set", "privacy.noise=seeded:7",
        "--set", "pe.iterations=2", "--set", "pe.population_size=32"};

    Proc killed = run(Map.of("DPSYNTH_JAVA_OPTS", "-Ddpsynth.haltAt=iteration-1-released"), args);
    assertEquals(137, killed.code(), killed.out());
    String runId = org.dpsynth.testing.RunLedger.runId(out);
    assertEquals(3, org.dpsynth.testing.RunLedger.entries(out).size(), "the label shares and both histograms are charged before the first draw");

    Proc resumed = run(Map.of(), args);
    assertEquals(0, resumed.code(), resumed.out());
    assertTrue(resumed.out().contains("reusing the released histogram"), resumed.out());
    JsonNode first = summary(resumed);
    assertEquals("pe", first.get("command").asText());
    assertEquals("complete", first.get("status").asText());
    assertEquals(runId, first.get("run_id").asText(), "the resumed run keeps its id");
    assertEquals(uri, first.get("outputs").get("run_dir").asText());
    assertEquals(uri + "/public/synthetic", first.get("outputs").get("synthetic").asText());
    assertTrue(Files.exists(out.resolve("public/synthetic/_SUCCESS")), "written on the local disk at the URI's path");
    String releases = synthetic(out);
    int charges = org.dpsynth.testing.RunLedger.entries(out).size();
    assertEquals(3, charges, "the resume charged nothing twice");

    Proc again = run(Map.of(), args);
    assertEquals(0, again.code(), again.out());
    assertEquals(first, summary(again), "the same run, the same summary");
    assertEquals(charges, org.dpsynth.testing.RunLedger.entries(out).size(), "nothing new charged");
    assertEquals(releases, synthetic(out));
  }
}
