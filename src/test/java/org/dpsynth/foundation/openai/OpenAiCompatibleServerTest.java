package org.dpsynth.foundation.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The test server itself: loopback only, bounded lifetime, runnable as a separate process. */
class OpenAiCompatibleServerTest {

  @Test
  void stopsByItselfAfterItsLifetime() throws Exception {
    OpenAiCompatibleServer s = OpenAiCompatibleServer.start(0, 8, Duration.ofMillis(300));
    Thread waiter =
        new Thread(
            () -> {
              try {
                s.awaitStop();
              } catch (InterruptedException ignored) {
                // test ends
              }
            });
    waiter.start();
    waiter.join(5000);
    assertTrue(!waiter.isAlive(), "server did not stop after its lifetime");
    OpenAiSettings settings =
        OpenAiSettings.builder(s.baseUrl(), "m")
            .maxAttempts(1)
            .requestTimeout(Duration.ofMillis(300))
            .initialBackoff(Duration.ofMillis(1))
            .maxBackoff(Duration.ofMillis(1))
            .build();
    try (OpenAiEmbedder e = new OpenAiEmbedder(new OpenAiClient(settings, n -> null))) {
      assertThrows(OpenAiApiException.class, () -> e.embed(List.of("x")));
    }
  }

  @Test
  void bindsLoopbackOnly() {
    try (OpenAiCompatibleServer s = OpenAiCompatibleServer.start()) {
      assertTrue(s.baseUrl().startsWith("http://127.0.0.1:"));
      assertTrue(s.boundAddress().getAddress().isLoopbackAddress(), "bound to " + s.boundAddress());
    }
  }

  /** main() as a separate JVM, as a PE end-to-end test or a CLI run will use it. */
  @Test
  void runsAsASeparateProcessWithFaults() throws Exception {
    String java =
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                OpenAiCompatibleServer.class.getName(),
                "--port",
                "0",
                "--fault-rate",
                "0.2",
                "--lifetime-seconds",
                "30",
                "--dimension",
                "32")
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertTrue(line != null && line.startsWith("listening on http://127.0.0.1:"), "got: " + line);
      String baseUrl = line.substring("listening on ".length()).split(" ")[0];
      OpenAiSettings settings =
          OpenAiSettings.builder(baseUrl, "m")
              .maxAttempts(8)
              .requestTimeout(Duration.ofSeconds(5))
              .initialBackoff(Duration.ofMillis(5))
              .maxBackoff(Duration.ofMillis(20))
              .batchSize(1)
              .build();
      // 20 requests at fault rate 0.2 with 8 attempts (Retry-After ≤ 1 s): failure needs 8
      // consecutive faults, probability 0.2^8 ≈ 2.6e-6 per request (fixed seed anyway).
      try (OpenAiEmbedder e = new OpenAiEmbedder(new OpenAiClient(settings, n -> null))) {
        List<String> texts = IntStream.range(0, 20).mapToObj(i -> "text " + i).toList();
        float[][] v = e.embed(texts).vectors();
        assertEquals(20, v.length);
        assertEquals(32, e.dimension());
      }
    } finally {
      p.destroy();
      p.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
