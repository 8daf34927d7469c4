package org.dpsynth.foundation.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.dpsynth.testing.LocalScript;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main command with both model roles on the openai adapter, against a real
 * OpenAI-compatible server on 127.0.0.1 that injects faults (429 with Retry-After, 5xx, malformed
 * JSON, partial embedding batches, hung responses): the run completes and the API key appears in
 * no output.
 */
class OpenAiPeIT {
  private static final String KEY = "sk-dpsynth-canary-key-4f9a";
  @TempDir Path dir;

  @Test
  void peRunsEndToEndAgainstAFaultyServerAndNeverPrintsTheKey() throws Exception {
    Path slice = LocalScript.everyNth("data-samples/fortunes-private.jsonl", 20, dir.resolve("slice.jsonl"));
    Path out = dir.resolve("run");
    try (OpenAiCompatibleServer server = OpenAiCompatibleServer.start(0, 64, Duration.ofMinutes(10))) {
      server.faultRate(0.2, 42).randomHang(Duration.ofMillis(3000));
      String url = server.baseUrl();
      List<String> cmd = new ArrayList<>(List.of("bash", "submit/local.sh", "pe", "--config", "conf/pe-fortunes.yaml", "--out", out.toString(),
          "--set", "input.path=" + slice, "--set", "pe.iterations=2", "--set", "pe.population_size=24",
          "--set", "generator.type=openai", "--set", "generator.base_url=" + url, "--set", "generator.model=test-chat",
          "--set", "generator.api_key_env=DPSYNTH_TEST_API_KEY",
          "--set", "embedder.type=openai", "--set", "embedder.base_url=" + url, "--set", "embedder.model=test-embed",
          "--set", "embedder.api_key_env=DPSYNTH_TEST_API_KEY",
          // 0.2 fault rate: 14 attempts leave a 0.2^14 (about 2e-10) chance per request of giving up.
          "--set", "generator.max_attempts=14", "--set", "embedder.max_attempts=14",
          "--set", "generator.timeout_seconds=1", "--set", "embedder.timeout_seconds=1"));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().put("DPSYNTH_TEST_API_KEY", KEY);
      pb.environment().put("DPSYNTH_DRIVER_MEMORY", "2g");
      Process p = pb.start();
      String console = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), console);
      assertTrue(console.contains("done:"), console);
      assertFalse(console.contains(KEY), "key on the console");
      assertTrue(server.requests().stream().anyMatch(r -> ("Bearer " + KEY).equals(r.authorization())), "the key was sent to the server");
      assertTrue(server.requests().size() > 10, "the run used the server");
    }
    try (Stream<Path> files = Files.walk(out)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(KEY), "key in " + f);
      }
    }
    assertTrue(Files.isDirectory(out.resolve("public/synthetic")));
  }
}
