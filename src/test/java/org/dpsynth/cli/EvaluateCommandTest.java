package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.testing.SparkTestSession;
import org.dpsynth.testing.LocalScript;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code evaluate --json} end to end in the test JVM: real embedding model, Spark MLlib classifier. */
@ExtendWith(SparkMasterForCli.class)
class EvaluateCommandTest {
  @TempDir static Path dir;
  static Path real;
  static Path synthetic;

  @BeforeAll
  static void corpora() throws Exception {
    var spark = SparkTestSession.get();
    String[] food = {"I cook pasta with garlic and wine", "Fresh bread and butter for dinner", "We ate soup and salad",
        "The chef baked a chocolate cake", "Cheese and grapes after the meal", "Spicy curry with rice tonight"};
    String[] law = {"The judge ruled against the lawyer", "The court heard the appeal today", "A contract binds both parties",
        "The jury found him not guilty", "Lawyers argued over the statute", "The judge fined the defendant"};
    StringBuilder jsonl = new StringBuilder();
    List<Row> rows = new ArrayList<>();
    StructType schema = new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType)
        .add("label", DataTypes.StringType);
    ObjectMapper m = new ObjectMapper();
    for (int i = 0; i < food.length; i++) {
      jsonl.append(m.createObjectNode().put("text", food[i]).put("label", "food")).append('\n');
      jsonl.append(m.createObjectNode().put("text", law[i]).put("label", "law")).append('\n');
      rows.add(RowFactory.create("f" + i, food[(i + 1) % food.length] + " again", "food"));
      rows.add(RowFactory.create("l" + i, law[(i + 2) % law.length] + " again", "law"));
    }
    real = dir.resolve("real.jsonl");
    Files.writeString(real, jsonl);
    synthetic = dir.resolve("synthetic.parquet");
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(synthetic.toString());
  }

  @Test
  void jsonHasTheDocumentedKeysAndTheReportIsWritten() throws Exception {
    Path reports = dir.resolve("operator");
    CliTest.Result r = CliTest.run("evaluate", "--real", real.toString(), "--synthetic", synthetic.toString(),
        "--train-real", real.toString(), "--k", "3", "--json", "--report-dir", reports.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    for (String key : List.of("frechet_distance", "precision", "recall", "density", "coverage", "downstream_accuracy",
        "downstream_accuracy_tfidf", "nn_distance_real_to_synthetic", "nn_distance_synthetic_to_real", "label_total_variation",
        "length_wasserstein1_words", "length_ks", "mauve", "downstream_accuracy_se", "downstream_accuracy_tfidf_se")) {
      assertTrue(j.path(key).isNumber(), key + " missing from " + j);
      assertEquals(j.path(key).asDouble(), j.path("final").path(key).asDouble(), 0, key);
    }
    assertEquals(3, j.path("k").asInt());
    assertTrue(j.path("note").asText().startsWith("OPERATOR-ONLY"));
    assertTrue(j.path("memorisation").path("note").asText().startsWith("OPERATOR-ONLY"));
    // every synthetic text repeats a whole real text plus "again": its nearest real text is that one
    assertTrue(j.path("memorisation").path("p50_span").asInt() >= 5, j.path("memorisation").toString());
    assertEquals(0.0, j.path("label_total_variation").asDouble(), 1e-12);
    // trained on the test set itself: the reference classifier is perfect on these separable texts
    assertEquals(1.0, j.path("baselines").path("train_real").path("downstream_accuracy_tfidf").asDouble(), 0);
    // food and law alternate in the real file: a tie, broken by sorted order; accuracy 1/2
    assertEquals("food", j.path("baselines").path("majority_class").path("label").asText());
    assertEquals(0.5, j.path("majority_class_accuracy").asDouble(), 1e-12);
    assertEquals(Math.sqrt(0.25 / j.path("real").asInt()), j.path("baselines").path("majority_class").path("se").asDouble(), 1e-12);
    JsonNode vsMajority = j.path("comparisons").path("final_vs_majority_class");
    assertEquals(j.path("downstream_accuracy").asDouble() - 0.5, vsMajority.path("difference").asDouble(), 1e-12);
    assertTrue(vsMajority.path("paired_se").asDouble() > 0, vsMajority.toString());
    assertTrue(j.path("mauve").asDouble() > 0 && j.path("mauve").asDouble() <= 1, j.toString());
    assertTrue(Files.isRegularFile(reports.resolve("evaluation.html")));
    assertTrue(Files.isRegularFile(reports.resolve("evaluation.json")));
    String html = Files.readString(reports.resolve("evaluation.html"));
    assertFalse(html.contains("Fresh bread and butter"), "the operator report shows numbers, never real text");
  }

  @Test
  void reportDirInsidePublicIsRefusedBeforeAnyWork() {
    Path inside = dir.resolve("run/public/eval");
    CliTest.Result r = CliTest.run("evaluate", "--real", real.toString(), "--synthetic", synthetic.toString(),
        "--report-dir", inside.toString());
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("public/"), r.err());
    assertFalse(Files.exists(inside));
  }

  @Test
  void heldoutIsRefusedForText() {
    CliTest.Result r = CliTest.run("evaluate", "--real", real.toString(), "--synthetic", synthetic.toString(),
        "--heldout", real.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--heldout is for images"), r.err());
  }

  @Test
  void imagesAreScoredWithAClassifierTestedOnTheHeldOutImages() throws Exception {
    // "synthetic": 200 public Fashion-MNIST images with their labels, as PNG bytes in Parquet;
    // real: every 5th private image; held-out: the shipped held-out split.
    List<String> pub = Files.readAllLines(Path.of("data-samples/fashion/fashion-public.jsonl"));
    List<Row> rows = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : pub.subList(0, 200)) {
      JsonNode n = json.readTree(line);
      rows.add(RowFactory.create(java.util.Base64.getDecoder().decode(n.get("image").asText()), n.get("label").asText()));
    }
    Path syn = dir.resolve("images.parquet");
    SparkTestSession.get().createDataFrame(rows, new StructType().add("image", DataTypes.BinaryType).add("label", DataTypes.StringType))
        .write().parquet(syn.toString());
    Path realImages = LocalScript.everyNth("data-samples/fashion/fashion-private.jsonl", 5, dir.resolve("real-images.jsonl"));
    CliTest.Result r = CliTest.run("evaluate", "--config", "conf/pe-fashion.yaml", "--real", realImages.toString(),
        "--heldout", "data-samples/fashion/fashion-heldout.jsonl", "--synthetic", syn.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = json.readTree(r.out().lines().reduce((a, b) -> b).orElseThrow());
    assertEquals(600, j.path("real").asInt());
    assertEquals("heldout", j.path("test").asText());
    assertEquals(600, j.path("test_images").asInt());
    JsonNode fin = j.path("populations").path(0);
    assertEquals("final", fin.path("population").asText());
    for (String key : List.of("frechet", "label_frechet", "label_tv", "precision", "recall", "density", "coverage",
        "downstream_accuracy", "downstream_accuracy_se")) {
      assertTrue(fin.path(key).isNumber(), key + " missing from " + fin);
    }
    assertTrue(fin.path("downstream_accuracy").asDouble() > 0.5, "correctly labelled real images train a useful classifier: " + fin);
    assertTrue(fin.path("precision").asDouble() > 0.5 && fin.path("frechet").asDouble() < 0.2, fin.toString());
    assertFalse(j.has("final_minus_iteration_0"), "not a run: no iteration 0");
    assertFalse(r.out().contains(Files.readAllLines(realImages).get(0).substring(300, 360)), "no real image content in the output");
  }
}
