package org.dpsynth.foundation.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Endpoint faults during a PE run on the openai adapters, through submit/local.sh: (1) the
 * endpoint returns a non-finite embedding → the run stops with an error naming the batch and item;
 * (2) the endpoint dies after the first histogram was released → the run fails with an error;
 * (3) a rerun against a healthy server on the same URL resumes to completion, and every release is
 * in the ledger exactly once.
 */
class OpenAiEndpointFaultIT {
  @TempDir Path dir;

  record Proc(int code, String out) {}

  static CompletableFuture<Proc> start(Path slice, Path out, String url) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("bash", "submit/local.sh", "pe", "--config", "conf/pe-fortunes.yaml", "--out", out.toString(),
        "--set", "input.path=" + slice, "--set", "pe.iterations=2", "--set", "pe.population_size=16",
        "--set", "privacy.noise=seeded:3",
        "--set", "generator.type=openai", "--set", "generator.base_url=" + url, "--set", "generator.model=test-chat",
        "--set", "embedder.type=openai", "--set", "embedder.base_url=" + url, "--set", "embedder.model=test-embed",
        "--set", "generator.max_attempts=2", "--set", "embedder.max_attempts=2",
        "--set", "generator.timeout_seconds=2", "--set", "embedder.timeout_seconds=2"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("DPSYNTH_DRIVER_MEMORY", "2g");
    Process p = pb.start();
    return CompletableFuture.supplyAsync(() -> {
      try {
        String console = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Proc(p.waitFor(), console);
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void aDeadEndpointStopsTheRunAndARerunResumesWithoutChargingTwice() throws Exception {
    List<String> all = Files.readAllLines(Path.of("data-samples/fortunes-private.jsonl"));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 40) {
      lines.add(all.get(i));
    }
    Path slice = Files.write(dir.resolve("slice.jsonl"), lines);
    Path out = dir.resolve("run");
    int port;
    String url;

    // 1. Non-finite vectors from the embeddings endpoint: a clear error, nothing released.
    try (OpenAiCompatibleServer server = OpenAiCompatibleServer.start(0, 64, Duration.ofMinutes(10))) {
      port = server.port();
      url = server.baseUrl();
      server.script("/embeddings", OpenAiCompatibleServer.Fault.nonFiniteVector(), OpenAiCompatibleServer.Fault.nonFiniteVector(),
          OpenAiCompatibleServer.Fault.nonFiniteVector(), OpenAiCompatibleServer.Fault.nonFiniteVector());
      Proc r = start(slice, out, url).get();
      assertNotEquals(0, r.code(), r.out());
      assertTrue(r.out().contains("non-finite value"), r.out());
      // The private corpus is embedded before the first charge: a failure there charges nothing.
      Path ledger = org.dpsynth.testing.RunLedger.file(out);
      assertTrue(!Files.exists(ledger) || org.dpsynth.testing.RunLedger.entries(out).isEmpty(), "nothing charged");
    }

    // 2. The endpoint dies after the first histogram is released.
    Path firstHistogram = out.resolve("public/iterations/001/histogram.json");
    try (OpenAiCompatibleServer server = OpenAiCompatibleServer.start(port, 64, Duration.ofMinutes(10))) {
      server.latency(Duration.ofMillis(30));
      CompletableFuture<Proc> run = start(slice, out, url);
      long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
      while (!Files.exists(firstHistogram) && !run.isDone() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      server.close();
      Proc r = run.get();
      assertTrue(Files.exists(firstHistogram), "the run released iteration 1 before the endpoint died:\n" + r.out());
      assertNotEquals(0, r.code(), "the run cannot finish without its endpoint:\n" + r.out());
      assertTrue(r.out().contains("error:"), r.out());
    }

    // 3. A healthy server on the same URL: the rerun resumes and completes; each release charged once.
    try (OpenAiCompatibleServer server = OpenAiCompatibleServer.start(port, 64, Duration.ofMinutes(10))) {
      Proc r = start(slice, out, url).get();
      assertEquals(0, r.code(), r.out());
      assertTrue(r.out().contains("resuming run") && r.out().contains("done:"), r.out());
    }
    var ledger = org.dpsynth.testing.RunLedger.entries(out);
    assertEquals(3, ledger.size(), "label release + 2 histograms, each once: " + ledger);
    assertEquals(3, ledger.stream().map(org.dpsynth.privacy.LedgerEntry::releaseId).distinct().count());
  }
}
