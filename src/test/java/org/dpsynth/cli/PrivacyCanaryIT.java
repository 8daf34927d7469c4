package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.dpsynth.testing.LocalScript;
import org.dpsynth.testing.LocalScript.Proc;

/**
 * Canaries and faults through the real launcher (submit/local.sh in its own JVM, stdout and stderr
 * captured, which is where the log4j2 config sends every log line): a private corpus laced with
 * unique strings in every field and every bad-input shape (null and empty user ids and texts, an
 * unknown label, a 1 MB text, one user with 100,000 records, duplicates) must run,
 * and the strings must appear nowhere under public/, on the console or in the logs — in a complete
 * run under injected task failures, in a run killed at a phase boundary and its resume, and in
 * runs that fail on bad input (invalid UTF-8, a cut-off JSON line, a missing column).
 */
class PrivacyCanaryIT {
  static final String CANARY = "qqcanary";
  @TempDir static Path dir;
  static Path corpus;
  static int sliceRecords;

  static Proc run(Map<String, String> env, List<String> args) throws IOException, InterruptedException {
    return LocalScript.run(env, args);
  }

  static String line(String user, String text, String label) {
    return "{\"user_id\": " + (user == null ? "null" : "\"" + user + "\"") + ", \"text\": "
        + (text == null ? "null" : "\"" + text + "\"") + ", \"label\": \"" + label + "\"}\n";
  }

  @BeforeAll
  static void lacedCorpus() throws IOException {
    List<String> all = Files.readAllLines(Path.of("data-samples/fortunes-private.jsonl"));
    corpus = dir.resolve("laced.jsonl");
    try (OutputStream out = Files.newOutputStream(corpus)) {
      for (int i = 0; i < all.size(); i += 30) {
        out.write((all.get(i) + "\n").getBytes(StandardCharsets.UTF_8));
        sliceRecords++;
      }
      out.write(line(CANARY + "-user-1", "the secret " + CANARY + "-text-1 is here", "computers").getBytes(StandardCharsets.UTF_8));
      out.write(line(null, CANARY + "-null-user", "food").getBytes(StandardCharsets.UTF_8));
      out.write(line("", CANARY + "-empty-user", "food").getBytes(StandardCharsets.UTF_8));
      out.write(line(CANARY + "-u2", null, "food").getBytes(StandardCharsets.UTF_8));
      out.write(line(CANARY + "-u3", "   ", "food").getBytes(StandardCharsets.UTF_8));
      out.write(line(CANARY + "-u4", CANARY + " with an unknown label", CANARY + "-label").getBytes(StandardCharsets.UTF_8));
      out.write(line(CANARY + "-u5", CANARY + "-big " + "lorem ipsum dolor ".repeat(1 << 16), "science").getBytes(StandardCharsets.UTF_8));
      for (int i = 0; i < 100_000; i++) {
        out.write(line(CANARY + "-heavy", CANARY + "-heavy record " + i + " about food", "food").getBytes(StandardCharsets.UTF_8));
      }
      for (int i = 0; i < 5; i++) {
        out.write(line(CANARY + "-dup", CANARY + "-duplicate record", "love").getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  static List<String> peArgs(Path in, Path out, String... sets) {
    List<String> a = new ArrayList<>(List.of("pe", "--config", "conf/pe-fortunes.yaml", "--out", out.toString(),
        "--set", "input.path=" + in, "--set", "privacy.noise=seeded:7",
        "--set", "pe.iterations=2", "--set", "pe.population_size=24", "--set", "labels.proportions=dp"));
    for (String s : sets) {
      a.add("--set");
      a.add(s);
    }
    return a;
  }

  static void assertNoCanary(String what, String text) {
    assertFalse(text.contains(CANARY), "private text in " + what + ":\n" + text);
  }

  static void assertNoCanaryUnder(Path publicDir) throws IOException {
    if (!Files.exists(publicDir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(publicDir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertNoCanary(f.toString(), new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    }
  }

  static String releases(Path out) throws IOException {
    StringBuilder sb = new StringBuilder(Files.readString(out.resolve("public/labels.json")));
    for (int t = 1; t <= 2; t++) {
      sb.append(new ObjectMapper().readTree(out.resolve(String.format("public/iterations/%03d/histogram.json", t)).toFile())
          .get("noisy_votes")).append('\n');
    }
    return sb.toString();
  }

  @Test
  void canariesNeverLeakAndFaultsDoNotChangeTheReleases() throws Exception {
    // 1. Complete run with every bad-input shape, on local[2,4] with the first attempt of every vote task failing.
    Path a = dir.resolve("run-task-failures");
    Proc ra = run(Map.of("SPARK_MASTER", "local[2,4]", "DPSYNTH_JAVA_OPTS", "-Dspark.dpsynth.test.failFirstVoteAttempt=true"),
        peArgs(corpus, a));
    assertEquals(0, ra.code(), ra.out());
    assertTrue(ra.out().contains("injected vote task failure"), "the fault was injected and retried:\n" + ra.out());
    assertNoCanary("console of the run with task failures", ra.out());
    assertNoCanaryUnder(a.resolve("public"));
    JsonNode diag = new ObjectMapper().readTree(a.resolve("private/diagnostics.json").toFile());
    assertEquals(2, diag.get("skipped_missing_user").asLong(), diag.toString());
    assertEquals(2, diag.get("skipped_missing_text").asLong(), diag.toString());
    assertEquals(1, diag.get("skipped_unknown_label").asLong(), diag.toString());
    // Every usable record but the heavy user's 100,000 (bounded to 8) and the 5 duplicates of one user (kept as 5 records).
    assertEquals(sliceRecords + 1 + 1 + 8 + 5, diag.get("records_after_bounding").asLong(), diag.toString());
    assertTrue(diag.get("texts_truncated_by_embedder").asLong() >= 1, "the 1 MB text was cut: " + diag);
    assertTrue(Files.readString(a.resolve("private/diagnostics.json")).contains("PRIVATE"));

    // 2. The driver killed (halt, like kill -9) right after the initial population, then resumed.
    Path b = dir.resolve("run-killed");
    Proc kb = run(Map.of("DPSYNTH_JAVA_OPTS", "-Ddpsynth.haltAt=initial-population"), peArgs(corpus, b));
    assertEquals(137, kb.code(), kb.out());
    assertNoCanary("console of the killed run", kb.out());
    assertNoCanaryUnder(b.resolve("public"));
    Proc rb = run(Map.of(), peArgs(corpus, b));
    assertEquals(0, rb.code(), rb.out());
    assertTrue(rb.out().contains("resuming run"), rb.out());
    assertNoCanary("console of the resumed run", rb.out());
    assertNoCanaryUnder(b.resolve("public"));
    // Task retries and a resume reproduce the same releases (votes are deterministic, noise seeded per release).
    assertEquals(releases(a), releases(b));
    assertEquals(3, org.dpsynth.testing.RunLedger.entries(b).size(), "label release + 2 histograms, each charged once");

    // 3. Runs that fail on bad input: a malformed JSON line carrying a canary, and a missing column.
    // Row 2 has invalid UTF-8 (0xC3 0x28 is a broken two-byte sequence), row 3 is cut off.
    Path bad = dir.resolve("bad.jsonl");
    try (OutputStream out = Files.newOutputStream(bad)) {
      out.write(line("u1", "fine text", "food").getBytes(StandardCharsets.UTF_8));
      out.write(("{\"user_id\": \"" + CANARY + "-u6\", \"text\": \"" + CANARY + "-utf8 ").getBytes(StandardCharsets.UTF_8));
      out.write(new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF});
      out.write(" broken\", \"label\": \"food\"}\n".getBytes(StandardCharsets.UTF_8));
      out.write(("{\"user_id\": \"" + CANARY + "-u9\", \"text\": \"" + CANARY + "-malformed\n").getBytes(StandardCharsets.UTF_8));
    }
    Proc rc = run(Map.of(), peArgs(bad, dir.resolve("run-bad")));
    assertEquals(2, rc.code(), rc.out());
    assertTrue(rc.out().contains("bad.jsonl, row 2: not a valid JSON object (2 malformed rows in the input)"), rc.out());
    assertNoCanary("console of the failing run", rc.out());
    Proc rd = run(Map.of(), peArgs(corpus, dir.resolve("run-missing-column"), "input.text_column=body"));
    assertEquals(2, rd.code(), rd.out());
    assertTrue(rd.out().contains("laced.jsonl: column 'body' (input.text_column) not found"), rd.out());
    assertNoCanary("console of the missing-column run", rd.out());
    assertNoCanaryUnder(dir.resolve("run-bad/public"));
    assertNoCanaryUnder(dir.resolve("run-missing-column/public"));
  }
}
