package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.image.GrayImage;
import org.dpsynth.foundation.onnximage.TinyConvNet;
import org.dpsynth.run.RunDirectory;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short image PE run in local mode whose votes run in a user-supplied ONNX model (built by the test). */
class OnnxImagePrivateEvolutionTest {
  @TempDir Path dir;

  @Test
  void anImageRunWithAnOnnxImageEmbedderCompletes() throws IOException {
    Path input = ImagePrivateEvolutionTest.privateSlice(dir, 12); // 250 private images
    Path model = dir.resolve("tiny.onnx");
    Files.write(model, new TinyConvNet(17).onnx());
    JobConfig cfg = ConfigLoader.load(Path.of("conf/pe-fashion.yaml"), List.of(
        "input.path=" + input, "privacy.noise=seeded:5", "privacy.min_users=20", "pe.iterations=1", "pe.population_size=30",
        "embedder.type=onnx-image", "embedder.model_path=" + model, "embedder.batch_size=32"));
    Path out = dir.resolve("run");
    String console = ImagePrivateEvolutionTest.runPe(cfg, out, 30);
    assertTrue(console.contains("iteration 1/1"), console);

    List<Row> rows = SparkTestSession.get().read().parquet(out.resolve("public/synthetic").toString()).collectAsList();
    assertEquals(30, rows.size());
    for (Row r : rows) {
      GrayImage g = GrayImage.decode(r.getAs(PrivateEvolution.IMAGE_COLUMN));
      assertNotNull(g, "every synthetic image is a decodable PNG");
      assertEquals(28, g.width());
    }
    JsonNode manifest = RunDirectory.readJson(out.resolve("public/manifest.json"));
    assertEquals("complete", manifest.get("status").asText());
    assertEquals(1, manifest.get("privacy").get("steps").asInt());
    assertEquals("onnx-image", manifest.get("config").get("embedder").get("type").asText());
    // The votes were cast in the model's space: one noisy count per synthetic sample.
    JsonNode h = RunDirectory.readJson(out.resolve("public/iterations/001/histogram.json"));
    assertEquals(30, h.get("noisy_votes").size(), h.toString());
  }
}
