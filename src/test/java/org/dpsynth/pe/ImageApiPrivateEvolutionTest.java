package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.spark.sql.Row;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.image.GrayImage;
import org.dpsynth.foundation.openai.OpenAiCompatibleServer;
import org.dpsynth.run.RunDirectory;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small image PE run whose generator is an OpenAI-compatible images API (the test server on
 * 127.0.0.1, with random 429/5xx/malformed/bad-base64/wrong-size faults): generations for the
 * initial population, edits for the variations, synthetic PNGs at the run's size.
 */
class ImageApiPrivateEvolutionTest {
  @TempDir Path dir;

  @Test
  void anImageRunAgainstAnImagesApiWritesRunSizedSyntheticPngs() throws IOException {
    Path input = ImagePrivateEvolutionTest.privateSlice(dir, 60); // 50 images
    Path out = dir.resolve("run");
    try (OpenAiCompatibleServer server = OpenAiCompatibleServer.start(0, 64, Duration.ofMinutes(5))) {
      server.faultRate(0.15, 7);
      JobConfig cfg = ConfigLoader.load(Path.of("conf/pe-fashion.yaml"), List.of(
          "input.path=" + input, "privacy.noise=seeded:5", "privacy.min_users=20", "pe.iterations=1", "pe.population_size=20",
          "generator.type=openai", "generator.public_corpus=", "generator.base_url=" + server.baseUrl(),
          "generator.model=test-image-model", "generator.image_size=32x32", "generator.max_attempts=12",
          "generator.timeout_seconds=5"));
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      List<Sample> fin = new PrivateEvolution(SparkTestSession.get(), cfg, out, new PrintStream(bytes, true, StandardCharsets.UTF_8), p -> {})
          .run();
      String console = bytes.toString(StandardCharsets.UTF_8);
      assertTrue(console.contains("iteration 1/1"), console);
      assertEquals(20, fin.size());
      assertTrue(server.requestCount("/v1/images/generations") >= 20, "the initial population came from the API");
      assertTrue(server.requestCount("/v1/images/edits") >= 1, "the variations came from the edits API");
      assertTrue(server.requests().stream().allMatch(r -> r.path().startsWith("/v1/images/")), "only image endpoints");
    }
    List<Row> rows = SparkTestSession.get().read().parquet(out.resolve("public/synthetic").toString()).collectAsList();
    assertEquals(20, rows.size());
    for (Row r : rows) {
      GrayImage g = GrayImage.decode(r.getAs(PrivateEvolution.IMAGE_COLUMN));
      assertNotNull(g, "every synthetic image is a decodable PNG");
      assertEquals(28, g.width());
      assertEquals(28, g.height());
    }
    JsonNode manifest = RunDirectory.readJson(out.resolve("public/manifest.json"));
    assertEquals("complete", manifest.get("status").asText());
  }
}
