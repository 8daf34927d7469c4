package org.dpsynth.foundation.ngram;

import org.dpsynth.text.PublicCorpus;
import org.dpsynth.text.WordTokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.Generator;
import org.dpsynth.foundation.Models;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generator.public_corpus}: reading every format, and clear errors for bad input. */
class UserPublicCorpusTest {
  @TempDir Path dir;

  private static PublicCorpus.Records read(Path path, String text, String label) {
    return PublicCorpus.read(new PublicCorpus.Source(path.toString(), "auto", text, label), new Configuration());
  }

  private static IllegalArgumentException fails(Path path, String text, String label) {
    return assertThrows(IllegalArgumentException.class, () -> read(path, text, label));
  }

  private static JobConfig load(String... sets) {
    List<String> all = new java.util.ArrayList<>(List.of("labels.names=[all]"));
    all.addAll(List.of(sets));
    return ConfigLoader.load(null, all);
  }

  @Test
  void readsJsonLinesCsvAndSparkParquetWithConfiguredColumns() throws Exception {
    Path jsonl = dir.resolve("p.jsonl");
    Files.writeString(jsonl, "{\"body\":\"Cheap pills now\",\"kind\":\"spam\"}\n\n{\"body\":\"The patch fixes the build\",\"kind\":\"ham\"}\n"
        + "{\"body\":\"   \",\"kind\":\"ham\"}\n");
    PublicCorpus.Records j = read(jsonl, "body", "kind");
    assertEquals(List.of("Cheap pills now", "The patch fixes the build"), j.texts(), "blank texts are skipped");
    assertEquals(List.of("spam", "ham"), j.labels());

    Path csv = dir.resolve("p.csv");
    Files.writeString(csv, "id,body\n1,\"Hello, \"\"world\"\"\nsecond line\"\n2,Plain text\n");
    PublicCorpus.Records c = read(csv, "body", "");
    assertEquals(List.of("Hello, \"world\"\nsecond line", "Plain text"), c.texts());
    assertNull(c.labels(), "no label column: unlabelled");

    Path parquet = dir.resolve("p.parquet");
    StructType schema = new StructType().add("text", DataTypes.StringType, true).add("label", DataTypes.StringType, true)
        .add("n", DataTypes.DoubleType, true);
    List<Row> rows = List.of(RowFactory.create("a first text", "x", 1.0), RowFactory.create("a second text", "y", 2.0),
        RowFactory.create(null, "y", 3.0));
    SparkTestSession.get().createDataFrame(rows, schema).coalesce(1).write().parquet(parquet.toString());
    PublicCorpus.Records p = read(parquet, "text", "label"); // a Spark output directory with _SUCCESS and .crc files
    assertEquals(List.of("a first text", "a second text"), p.texts());
    assertEquals(List.of("x", "y"), p.labels());
    assertTrue(p.description().contains("parquet, 2 records, labelled"), p.description());

    IllegalArgumentException wrongType = fails(parquet, "n", "");
    assertTrue(wrongType.getMessage().contains("column 'n' (generator.public_text_column) has type"), wrongType.getMessage());
  }

  @Test
  void badPathsEmptyFilesAndMissingColumnsNameTheKeyAndFile() throws Exception {
    Path missing = dir.resolve("nope.jsonl");
    IllegalArgumentException e = fails(missing, "text", "");
    assertTrue(e.getMessage().startsWith("generator.public_corpus " + missing + ": no such file or directory"), e.getMessage());

    Path empty = dir.resolve("empty.jsonl");
    Files.writeString(empty, "\n\n");
    e = fails(empty, "text", "");
    assertTrue(e.getMessage().contains("generator.public_corpus " + empty) && e.getMessage().contains("no records"), e.getMessage());

    Path emptyCsv = dir.resolve("empty.csv");
    Files.writeString(emptyCsv, "");
    e = fails(emptyCsv, "text", "");
    assertTrue(e.getMessage().contains("no records"), e.getMessage());

    Path emptyDir = Files.createDirectories(dir.resolve("nothing.parquet"));
    Files.writeString(emptyDir.resolve("_SUCCESS"), "");
    e = fails(emptyDir, "text", "");
    assertTrue(e.getMessage().contains("generator.public_corpus") && e.getMessage().contains("no data files"), e.getMessage());

    Path jsonl = dir.resolve("cols.jsonl");
    Files.writeString(jsonl, "{\"text\":\"one\",\"label\":\"a\"}\n{\"text\":\"two\"}\n");
    e = fails(jsonl, "body", "");
    assertTrue(e.getMessage().contains("cols.jsonl, row 1: column 'body' (generator.public_text_column) not found; the record has keys [text, label]"),
        e.getMessage());
    e = fails(jsonl, "text", "label");
    assertTrue(e.getMessage().contains("cols.jsonl, row 2: column 'label' (generator.public_label_column) not found"), e.getMessage());

    Path csv = dir.resolve("cols.csv");
    Files.writeString(csv, "body,kind\nsecret words,a\n");
    e = fails(csv, "text", "");
    assertTrue(e.getMessage().contains("cols.csv: column 'text' (generator.public_text_column) not found; the header has columns [body, kind]"),
        e.getMessage());
    assertFalse(e.getMessage().contains("secret"), "no record text in errors");

    Path broken = dir.resolve("broken.jsonl");
    Files.writeString(broken, "{\"text\":\"ok\"}\n{\"text\": secret words\n");
    e = fails(broken, "text", "");
    assertTrue(e.getMessage().contains("broken.jsonl, row 2 (generator.public_corpus): not a valid JSON object"), e.getMessage());
    assertFalse(e.getMessage().contains("secret"), e.getMessage());

    Path noExtension = dir.resolve("corpus.txt");
    Files.writeString(noExtension, "{\"text\":\"ok\"}\n");
    e = fails(noExtension, "text", "");
    assertTrue(e.getMessage().contains("set generator.public_format"), e.getMessage());
  }

  @Test
  void theGeneratorOfAConfigLearnsFromThePublicCorpusAndFailsClearly() throws Exception {
    Path corpus = dir.resolve("domain.jsonl");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      sb.append("{\"text\":\"the kernel patch number ").append(i).append(" fixes the driver build.\"}\n");
    }
    Files.writeString(corpus, sb.toString());
    JobConfig cfg = load("generator.public_corpus=" + corpus);
    LocalGenerator g = (LocalGenerator) Models.generator(cfg.generator(), null);
    assertTrue(g.describe().contains(corpus.toString()) && g.describe().contains("30 records"), g.describe());
    for (String t : g.random("all", 5, 1)) {
      for (String w : WordTokenizer.tokenize(t)) {
        assertTrue(WordTokenizer.isWord(w) ? sb.indexOf(w) >= 0 : true, "word '" + w + "' is not in the public corpus: " + t);
      }
    }

    JobConfig bad = load("generator.public_corpus=" + dir.resolve("missing.csv"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Models.generator(bad.generator(), null));
    assertTrue(e.getMessage().startsWith("generator.public_corpus "), e.getMessage());
  }

  @Test
  void configRejectsUnknownModesAndPublicSettingsForTheApiGenerator() {
    var e = assertThrows(org.dpsynth.config.ConfigException.class,
        () -> ConfigLoader.load(null, List.of("generator.mode=copy")));
    assertTrue(e.getMessage().contains("'generator.mode'") && e.getMessage().contains("expected one of 'ngram', 'public', got 'copy'"),
        e.getMessage());
    e = assertThrows(org.dpsynth.config.ConfigException.class, () -> ConfigLoader.load(null, List.of(
        "generator.type=openai", "generator.base_url=http://127.0.0.1:1/v1", "generator.model=m", "generator.public_corpus=x.jsonl")));
    assertTrue(e.getMessage().contains("generator.public_corpus: expected no path when generator.type is openai"), e.getMessage());
    e = assertThrows(org.dpsynth.config.ConfigException.class, () -> ConfigLoader.load(null, List.of("generator.public_share=1.5")));
    assertTrue(e.getMessage().contains("generator.public_share"), e.getMessage());
  }

  @Test
  void defaultsKeepTheBuiltInCorpusInNgramMode() {
    JobConfig cfg = load();
    assertFalse(cfg.generator().hasPublicCorpus());
    Generator g = Models.generator(cfg.generator(), null);
    assertTrue(((LocalGenerator) g).describe().contains("classpath:dpsynth/public-corpus.jsonl") && ((LocalGenerator) g).describe().contains("ngram mode"),
        ((LocalGenerator) g).describe());
    assertTrue(g.randomWithProvenance("love", 3, 1).stream().allMatch(t -> t.provenance() == Generator.Provenance.GENERATED));
  }
}
