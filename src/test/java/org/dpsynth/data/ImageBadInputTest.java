package org.dpsynth.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.image.GrayImage;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad images are counted skips (never errors, never echoed); structural problems are errors naming the key. */
class ImageBadInputTest {
  private static final List<String> LABELS = List.of("bag", "boot");
  @TempDir Path dir;

  private static JobConfig.Input input(Path p, String... sets) {
    List<String> s = new ArrayList<>(List.of("input.path=" + p, "labels.names=[bag, boot]", "input.modality=image",
        "embedder.type=random-conv", "generator.type=image-sim", "generator.public_corpus=data-samples/fashion/fashion-public.jsonl"));
    s.addAll(List.of(sets));
    return ConfigLoader.load(null, s).input();
  }

  private static byte[] png(int w, int h) {
    float[] px = new float[w * h];
    for (int i = 0; i < px.length; i++) {
      px[i] = (i % 7) / 7f;
    }
    return new GrayImage(w, h, px).png();
  }

  /** Good 28x28 images, and one of each bad kind; the bad bytes carry a marker that must never be echoed. */
  private static final byte[] CANARY = "qqimagecanary-not-a-png".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private static Map<String, Long> counts(JobConfig.Input in) {
    SparkSession spark = SparkTestSession.get();
    Dataset<Row> corpus = CorpusReader.read(spark, in);
    Dataset<Row> bounded = ContributionBounds.apply(corpus, LABELS, 8, 1);
    return ContributionBounds.diagnostics(corpus, bounded, LABELS);
  }

  @Test
  void badImagesInJsonLinesAreCountedSkips() throws IOException {
    Path f = dir.resolve("images.jsonl");
    String good = Base64.getEncoder().encodeToString(png(28, 28));
    List<String> lines = List.of(
        "{\"user_id\": \"u1\", \"label\": \"bag\", \"image\": \"" + good + "\"}",
        "{\"user_id\": \"u2\", \"label\": \"boot\", \"image\": \"" + good + "\"}",
        "{\"user_id\": \"u3\", \"label\": \"bag\", \"image\": \"" + Base64.getEncoder().encodeToString(CANARY) + "\"}", // undecodable
        "{\"user_id\": \"u4\", \"label\": \"bag\", \"image\": \"" + Base64.getEncoder().encodeToString(png(10, 12)) + "\"}", // wrong size
        "{\"user_id\": \"u5\", \"label\": \"bag\", \"image\": \"\"}", // empty
        "{\"user_id\": \"u6\", \"label\": \"bag\", \"image\": \"%%% not base64 %%%\"}",
        "{\"user_id\": \"u7\", \"label\": \"bag\", \"image\": null}", // missing
        "{\"user_id\": \"u8\", \"label\": \"coat\", \"image\": \"" + good + "\"}"); // label outside the set
    Files.write(f, lines);
    Map<String, Long> d = counts(input(f));
    assertEquals(8, d.get("records_read"));
    assertEquals(4, d.get("skipped_bad_image"), d.toString());
    assertEquals(1, d.get("skipped_missing_text"), d.toString());
    assertEquals(1, d.get("skipped_unknown_label"), d.toString());
    assertEquals(2, d.get("records_after_bounding"), d.toString());
    assertFalse(d.toString().contains("qqimage"));
  }

  /** A Parquet file of (user_id, label, image) rows, the image column of {@code imageType}. */
  private Path parquet(String name, org.apache.spark.sql.types.DataType imageType, List<org.apache.spark.sql.Row> rows) {
    StructType schema = new StructType().add("user_id", DataTypes.StringType).add("label", DataTypes.StringType)
        .add("image", imageType);
    Path p = dir.resolve(name);
    SparkTestSession.get().createDataFrame(rows, schema).write().parquet(p.toString());
    return p;
  }

  @Test
  void parquetBinaryImagesAreReadAndBadOnesCounted() {
    Path p = parquet("images.parquet", DataTypes.BinaryType, List.of(
        RowFactory.create("u1", "bag", png(28, 28)),
        RowFactory.create("u1", "boot", png(28, 28)),
        RowFactory.create("u2", "bag", CANARY),
        RowFactory.create("u3", "bag", new byte[0]),
        RowFactory.create("u4", "boot", png(28, 27))));
    Map<String, Long> d = counts(input(p));
    assertEquals(3, d.get("skipped_bad_image"), d.toString());
    assertEquals(2, d.get("records_after_bounding"), d.toString());
    assertEquals(1, d.get("users"), d.toString());
    // Test of the test: with the size set to the odd image's, that image is good and the 28x28 ones bad.
    Map<String, Long> odd = counts(input(p, "input.image_height=27"));
    assertEquals(1, odd.get("records_after_bounding"), odd.toString());
    assertEquals(4, odd.get("skipped_bad_image"), odd.toString());
  }

  @Test
  void aMissingOrWronglyTypedImageColumnIsAnErrorNamingTheKey() {
    SparkSession spark = SparkTestSession.get();
    Path p = parquet("typed.parquet", DataTypes.IntegerType, List.of(RowFactory.create("u1", "bag", 7)));
    InputException e = assertThrows(InputException.class, () -> CorpusReader.read(spark, input(p)).count());
    assertTrue(e.getMessage().contains("(input.image_column) has type int"), e.getMessage());
    e = assertThrows(InputException.class, () -> CorpusReader.read(spark, input(p, "input.image_column=picture")).count());
    assertTrue(e.getMessage().contains("column 'picture' (input.image_column) not found"), e.getMessage());
  }

  @Test
  void imagesNeedTheImageModelsAndTextMethodsRefuseImages() {
    Path p = dir.resolve("x.jsonl");
    var e = assertThrows(org.dpsynth.config.ConfigException.class,
        () -> ConfigLoader.load(null, List.of("input.path=" + p, "labels.names=[bag]", "input.modality=image")));
    assertTrue(e.getMessage().contains("embedder.type: expected 'random-conv'"), e.getMessage());
    assertTrue(e.getMessage().contains("generator.type: expected 'image-sim'"), e.getMessage());
    var f = assertThrows(org.dpsynth.config.ConfigException.class,
        () -> org.dpsynth.config.FewShotConfig.load(null, List.of("input.path=" + p, "labels.names=[bag]", "input.modality=image")));
    assertTrue(f.getMessage().contains("input.modality: expected 'text'"), f.getMessage());
  }
}
