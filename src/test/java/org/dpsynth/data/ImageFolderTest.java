package org.dpsynth.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.dpsynth.config.ConfigException;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.image.GrayImage;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code input.format: image-folder}: real PNG and JPEG files from the fashion sample in a {@code <label>/<user>/<file>} tree. */
class ImageFolderTest {
  private static final List<String> LABELS = List.of("bag", "boot", "coat");
  @TempDir Path dir;

  private static JobConfig.Input input(Path p, String... sets) {
    List<String> s = new ArrayList<>(List.of("input.path=" + p, "input.format=image-folder", "labels.names=[bag, boot, coat]",
        "input.modality=image", "embedder.type=random-conv", "generator.type=image-sim",
        "generator.public_corpus=data-samples/fashion/fashion-public.jsonl"));
    s.addAll(List.of(sets));
    return ConfigLoader.load(null, s).input();
  }

  /** The first {@code n} PNGs of {@code label} in the fashion private sample. */
  private static List<byte[]> fashion(String label, int n) throws IOException {
    List<byte[]> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("data-samples/fashion/fashion-private.jsonl"))) {
      var r = org.dpsynth.run.RunDirectory.JSON.readTree(line);
      if (r.get("label").asText().equals(label) && out.size() < n) {
        out.add(Base64.getDecoder().decode(r.get("image").asText()));
      }
    }
    return out;
  }

  private static byte[] jpeg(byte[] png) throws IOException {
    BufferedImage img = ImageIO.read(new java.io.ByteArrayInputStream(png));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(img, "jpg", out), "ImageIO writes JPEG");
    return out.toByteArray();
  }

  private Path file(Path root, String rel, byte[] bytes) throws IOException {
    Path f = root.resolve(rel);
    Files.createDirectories(f.getParent());
    return Files.write(f, bytes);
  }

  private static Map<String, Long> counts(JobConfig.Input in) {
    Dataset<Row> corpus = CorpusReader.read(SparkTestSession.get(), in);
    return ContributionBounds.diagnostics(corpus, ContributionBounds.apply(corpus, LABELS, 8, 1), LABELS);
  }

  @Test
  void aFolderOfPngAndJpegFilesIsReadWithUserAndLabelFromThePathAndBadImagesCounted() throws IOException {
    Path root = dir.resolve("images");
    List<byte[]> bags = fashion("bag", 3);
    List<byte[]> boots = fashion("boot", 2);
    file(root, "bag/alice/1.png", bags.get(0));
    file(root, "bag/alice/2.PNG", bags.get(1));
    file(root, "bag/bob/photo.jpg", jpeg(bags.get(2)));
    file(root, "boot/bob/1.png", boots.get(0));
    file(root, "boot/carol/1.jpeg", jpeg(boots.get(1)));
    file(root, "boot/dave/notes.png", "qqfoldercanary not an image".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    file(root, "boot/erin/empty.png", new byte[0]);
    file(root, "coat/frank/small.png", new GrayImage(10, 10, new float[100]).png());
    file(root, "sandal/gina/1.png", boots.get(0)); // a label outside the set
    file(root, "bag/alice/.hidden.png", bags.get(0)); // hidden files are not records
    Dataset<Row> corpus = CorpusReader.read(SparkTestSession.get(), input(root));
    Map<String, Long> perUserLabel = new TreeMap<>();
    for (Row r : corpus.filter("text is not null").collectAsList()) {
      perUserLabel.merge(r.getAs(CorpusReader.USER) + "/" + r.getAs(CorpusReader.LABEL), 1L, Long::sum);
      assertEquals(28, GrayImage.fromPayload(r.getAs(CorpusReader.TEXT)).width());
    }
    assertEquals(Map.of("alice/bag", 2L, "bob/bag", 1L, "bob/boot", 1L, "carol/boot", 1L, "gina/sandal", 1L), perUserLabel);
    Map<String, Long> d = counts(input(root));
    assertEquals(9, d.get("records_read"), d.toString());
    assertEquals(3, d.get("skipped_bad_image"), d.toString());
    assertEquals(1, d.get("skipped_unknown_label"), d.toString());
    assertEquals(5, d.get("records_after_bounding"), d.toString());
    assertEquals(3, d.get("users"), d.toString()); // alice, bob, carol: the others have no usable record
    assertFalse(d.toString().contains("qqfoldercanary"));
  }

  @Test
  void withoutAUserLevelEveryFileIsItsOwnUser() throws IOException {
    Path root = dir.resolve("flat");
    List<byte[]> bags = fashion("bag", 3);
    for (int i = 0; i < 3; i++) {
      file(root, "bag/" + i + ".png", bags.get(i));
    }
    Map<String, Long> d = counts(input(root, "input.user_column="));
    assertEquals(3, d.get("users"), d.toString());
    assertEquals(3, d.get("records_after_bounding"), d.toString());
  }

  @Test
  void aFileAtTheWrongDepthIsAnErrorThatNeverNamesAUserDirectory() throws IOException {
    Path root = dir.resolve("wrong");
    byte[] png = fashion("bag", 1).get(0);
    file(root, "bag/alice/1.png", png);
    file(root, "bag/qqsecretuser/extra/2.png", png);
    InputException deep = assertThrows(InputException.class, () -> CorpusReader.read(SparkTestSession.get(), input(root)));
    assertTrue(deep.getMessage().contains("1 file is not at <label>/<user>/<image file> (input.format image-folder); "
        + "the first: one under 'bag/', 4 levels deep"), deep.getMessage());
    assertFalse(deep.getMessage().contains("qqsecretuser"), deep.getMessage());
    file(root, "README.md", new byte[] {1});
    Files.delete(root.resolve("bag/qqsecretuser/extra/2.png"));
    InputException top = assertThrows(InputException.class, () -> CorpusReader.read(SparkTestSession.get(), input(root)));
    assertTrue(top.getMessage().contains("the first: 'README.md' at the top level"), top.getMessage());
    Path notDir = file(dir, "one.png", png);
    InputException single = assertThrows(InputException.class, () -> CorpusReader.read(SparkTestSession.get(), input(notDir)));
    assertTrue(single.getMessage().contains("input.format image-folder needs a directory"), single.getMessage());
  }

  @Test
  void imageFolderInAndOutNeedTheImageModality() {
    ConfigException in = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, List.of("input.format=image-folder")));
    assertTrue(in.getMessage().contains("input.format: expected parquet, jsonl or csv unless input.modality is image"), in.getMessage());
    ConfigException out = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("output.image_folder=true")));
    assertTrue(out.getMessage().contains("output.image_folder: expected false unless input.modality is image"), out.getMessage());
    ConfigException typo = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("input.format=image-folders")));
    assertTrue(typo.getMessage().contains("input.format: expected one of auto, parquet, jsonl, csv, image-folder"), typo.getMessage());
  }
}
