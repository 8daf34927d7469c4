package org.dpsynth.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.dpsynth.foundation.Embedder;
import org.dpsynth.foundation.Models;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each bad-input shape has its documented outcome: an error naming file, row and field, or a counted skip. */
class BadInputTest {
  private static final String CANARY = "qqcanary";
  private static final List<String> LABELS = List.of("food", "love");
  @TempDir Path dir;

  private static JobConfig.Input input(Path p, String... sets) {
    List<String> s = new ArrayList<>(List.of("input.path=" + p, "labels.names=[food, love]"));
    s.addAll(List.of(sets));
    return ConfigLoader.load(null, s).input();
  }

  private static String line(String user, String text, String label) {
    return "{\"user_id\": " + (user == null ? "null" : "\"" + user + "\"") + ", \"text\": "
        + (text == null ? "null" : "\"" + text + "\"") + ", \"label\": \"" + label + "\"}\n";
  }

  private InputException readFails(JobConfig.Input in) {
    InputException e = assertThrows(InputException.class, () -> CorpusReader.read(SparkTestSession.get(), in).count());
    assertFalse(e.getMessage().contains(CANARY), "private text in the error: " + e.getMessage());
    return e;
  }

  @Test
  void missingOrRenamedColumnsNameTheFileAndTheKey() throws IOException {
    Path f = dir.resolve("a.jsonl");
    Files.writeString(f, line("u1", CANARY + " one", "food") + line("u2", CANARY + " two", "love"));
    String m = readFails(input(f, "input.text_column=body")).getMessage();
    assertTrue(m.contains("a.jsonl: column 'body' (input.text_column) not found"), m);
    m = readFails(input(f, "input.user_column=author")).getMessage();
    assertTrue(m.contains("column 'author' (input.user_column) not found"), m);
  }

  @Test
  void wrongColumnTypesAndMissingParquetColumnsAreErrors() {
    SparkSession spark = SparkTestSession.get();
    StructType schema = new StructType().add("user_id", DataTypes.StringType).add("label", DataTypes.StringType)
        .add("text", DataTypes.createArrayType(DataTypes.StringType));
    Path p = dir.resolve("typed.parquet");
    spark.createDataFrame(List.of(RowFactory.create("u1", "food", new String[] {CANARY})), schema)
        .write().parquet(p.toString());
    String m = readFails(input(p)).getMessage();
    assertTrue(m.contains("column 'text' (input.text_column) has type array<string>; expected a string"), m);
    m = readFails(input(p, "input.user_column=author")).getMessage();
    assertTrue(m.contains("column 'author' (input.user_column) not found; the input has columns [user_id, label, text]"), m);
  }

  @Test
  void emptyInputMalformedLinesAndInvalidUtf8AreErrorsNamingTheRow() throws IOException {
    Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
    String m = readFails(input(empty)).getMessage();
    assertTrue(m.contains("empty.jsonl: the input has no records"), m);
    Path bad = dir.resolve("bad.jsonl");
    try (OutputStream out = Files.newOutputStream(bad)) {
      out.write(line("u1", "fine", "food").getBytes(StandardCharsets.UTF_8));
      out.write(line("u2", "fine too", "love").getBytes(StandardCharsets.UTF_8));
      out.write(("{\"user_id\": \"u3\", \"text\": \"" + CANARY + " ").getBytes(StandardCharsets.UTF_8));
      out.write(new byte[] {(byte) 0xC3, 0x28});
      out.write("\", \"label\": \"food\"}\n".getBytes(StandardCharsets.UTF_8));
    }
    m = readFails(input(bad)).getMessage();
    assertTrue(m.contains("bad.jsonl, row 3: not a valid JSON object (1 malformed row in the input)"), m);
  }

  @Test
  void recordProblemsAreCountedSkipsAndHeavyUsersAreBounded() throws IOException {
    Path f = dir.resolve("records.jsonl");
    StringBuilder sb = new StringBuilder();
    sb.append(line("ok", "a fine record", "food"));
    sb.append(line(null, CANARY, "food")).append(line("  ", CANARY, "food"));
    sb.append(line("u-nt", null, "food")).append(line("u-et", " ", "love"));
    sb.append(line("u-lab", CANARY, "not-a-label"));
    for (int i = 0; i < 5; i++) {
      sb.append(line("dup", "the same record", "love"));
    }
    for (int i = 0; i < 20_000; i++) {
      // The same person with stray whitespace around the id is still one user with one bound.
      sb.append(line(i % 3 == 0 ? " heavy" : i % 3 == 1 ? "heavy " : "heavy", "record " + i, i % 2 == 0 ? "food" : "love"));
    }
    Files.writeString(f, sb);
    Dataset<Row> corpus = CorpusReader.read(SparkTestSession.get(), input(f));
    Dataset<Row> bounded = ContributionBounds.apply(corpus, LABELS, 8, 1L);
    Map<String, Long> d = ContributionBounds.diagnostics(corpus, bounded, LABELS);
    assertEquals(20_011L, d.get("records_read"));
    assertEquals(2L, d.get("skipped_missing_user"));
    assertEquals(2L, d.get("skipped_missing_text"));
    assertEquals(1L, d.get("skipped_unknown_label"));
    assertEquals(1L + 5 + 8, d.get("records_after_bounding"), "heavy user cut to 8; duplicates are records of one user");
    assertEquals(3L, d.get("users"), "the missing-user check and the grouping use one key");
  }

  @Test
  void aOneMegabyteTextIsTruncatedByTheEmbedderAndCounted() {
    JobConfig cfg = ConfigLoader.load(null, List.of("labels.names=[food]"));
    String big = "lorem ipsum dolor sit amet ".repeat(40_000); // about 1 MB
    Embedder.Embeddings e = Models.embedder(cfg.embedder(), null).embed(List.of(big, "short"));
    assertEquals(1, e.truncated());
    double n = 0;
    for (float x : e.vectors()[0]) {
      n += x * x;
    }
    assertEquals(1.0, n, 1e-4);
  }
}
