package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.image.GrayImage;
import org.dpsynth.run.RunDirectory;
import org.dpsynth.testing.SparkTestSession;
import org.dpsynth.testing.LocalScript;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A small end-to-end image PE run in local mode on the embedded image models. */
class ImagePrivateEvolutionTest {
  @TempDir Path dir;

  /** Every {@code step}-th line of the Fashion-MNIST private sample, as a mutable list. */
  @Test
  void anImageRunWritesSyntheticPngsAndAnImageReport() throws IOException {
    // Every 20th private image (150 images), with one bad image that must be counted, not fail the run.
    Path input = privateSlice(dir, 20, "{\"user_id\": \"bad-user\", \"label\": \"bag\", \"image\": \"cXFub3RhcG5n\"}");
    JobConfig cfg = ConfigLoader.load(Path.of("conf/pe-fashion.yaml"), List.of(
        "input.path=" + input, "privacy.noise=seeded:5", "privacy.min_users=20", "pe.iterations=1", "pe.population_size=20"));
    Path out = dir.resolve("run");
    String console = runPe(cfg, out, 20);
    assertTrue(console.contains("iteration 1/1"), console);

    Dataset<Row> syn = SparkTestSession.get().read().parquet(out.resolve("public/synthetic").toString());
    assertEquals(DataTypes.BinaryType, syn.schema().apply(PrivateEvolution.IMAGE_COLUMN).dataType(), "PNG bytes in a binary column");
    assertFalse(List.of(syn.columns()).contains("text"));
    List<Row> rows = syn.collectAsList();
    assertEquals(20, rows.size());
    for (Row r : rows) {
      GrayImage g = GrayImage.decode(r.getAs(PrivateEvolution.IMAGE_COLUMN));
      assertNotNull(g, "every synthetic image is a decodable PNG");
      assertEquals(28, g.width());
      assertTrue(cfg.labels().names().contains(r.<String>getAs("label")));
    }
    // At the first degree (0.6) every variation is a nearest public image of the catalogue: the whole
    // final set is catalogue images (kept parents were drawn from it), reported as public copies.
    java.util.Set<String> catalogue = new java.util.HashSet<>();
    for (String line : Files.readAllLines(Path.of(cfg.generator().publicCorpus()))) {
      catalogue.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get("image").asText());
    }
    for (Row r : rows) {
      assertTrue(catalogue.contains(java.util.Base64.getEncoder().encodeToString(r.<byte[]>getAs(PrivateEvolution.IMAGE_COLUMN))));
      assertEquals("public", r.<String>getAs("provenance"));
    }
    JsonNode manifest = RunDirectory.readJson(out.resolve("public/manifest.json"));
    assertEquals("complete", manifest.get("status").asText());
    assertEquals(1, manifest.get("privacy").get("steps").asInt());
    JsonNode diag = RunDirectory.readJson(out.resolve("private/diagnostics.json"));
    assertEquals(1, diag.get("skipped_bad_image").asInt(), diag.toString());
    String report = Files.readString(out.resolve("public/report.html"));
    assertTrue(report.contains("src=\"data:image/png;base64,"), "the report inlines synthetic images");
    // The bad record's content appears nowhere public, nor on the console.
    assertFalse(console.contains("cXFub3RhcG5n"));
    try (var files = Files.walk(out.resolve("public"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains("cXFub3RhcG5n"), f.toString());
      }
    }
  }

  /** Every {@code every}-th record of the private Fashion-MNIST sample plus {@code extra} lines, as JSON Lines in {@code dir}. */
  static Path privateSlice(Path dir, int every, String... extra) throws IOException {
    Path input = LocalScript.everyNth("data-samples/fashion/fashion-private.jsonl", every, dir.resolve("slice.jsonl"));
    Files.write(input, List.of(extra), java.nio.file.StandardOpenOption.APPEND);
    return input;
  }

  /** Runs PE into {@code out}, checks that it returns {@code finalSize} samples, and returns the console output. */
  static String runPe(JobConfig cfg, Path out, int finalSize) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    List<Sample> fin = new PrivateEvolution(SparkTestSession.get(), cfg, out, new PrintStream(bytes, true, StandardCharsets.UTF_8), p -> {})
        .run();
    assertEquals(finalSize, fin.size());
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
