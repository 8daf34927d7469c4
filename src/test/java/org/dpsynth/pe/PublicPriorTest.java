package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.Models;
import org.dpsynth.foundation.ngram.LocalGenerator;
import org.dpsynth.text.PublicCorpus;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PE with a user's public corpus ({@code generator.public_corpus}) on the e-mail sample: the
 * provenance column, public-mode random samples of the right label, and keywords that come from the
 * public corpus alone.
 */
class PublicPriorTest {
  private static final String CANARY = "zqxcanaryword";
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dir;
  static Path privateSlice;
  static Path publicCorpus;
  static Map<String, String> publicLabel = new HashMap<>();

  @BeforeAll
  static void data() throws IOException {
    // Private: every 10th record of the private e-mail file, plus 30 spam records of one user carrying
    // a canary word that would top any keyword list derived from private data.
    List<String> all = Files.readAllLines(Path.of("data-samples/spamassassin-private.jsonl"));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 10) {
      lines.add(all.get(i));
    }
    for (int i = 0; i < 30; i++) {
      lines.add("{\"user_id\": \"canary-" + i + "\", \"text\": \"" + CANARY + " offer " + i + "\", \"label\": \"spam\"}");
    }
    privateSlice = dir.resolve("private.jsonl");
    Files.write(privateSlice, lines);
    // A LABELLED public corpus with other column names: the held-out test file's senders are disjoint.
    List<String> pub = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("data-samples/spamassassin-test.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      pub.add(JSON.createObjectNode().put("body", n.get("text").asText()).put("kind", n.get("label").asText()).toString());
      publicLabel.put(n.get("text").asText(), n.get("label").asText());
    }
    publicCorpus = dir.resolve("public.jsonl");
    Files.write(publicCorpus, pub);
  }

  static JobConfig config(String mode) {
    return PrivateEvolutionTest.config(privateSlice, "labels.names=[ham, spam]", "pe.iterations=1", "privacy.min_users=100",
        "generator.public_corpus=" + publicCorpus, "generator.public_text_column=body", "generator.public_label_column=kind",
        "generator.mode=" + mode, "generator.public_share=0.5");
  }

  static List<Row> rows(Path parquet) {
    return SparkTestSession.get().read().parquet(parquet.toString()).collectAsList();
  }

  @Test
  void publicModeRecordsProvenanceAndDrawsPublicRecordsOfTheLabel() {
    Path out = dir.resolve("public-run");
    String console = PrivateEvolutionTest.runPe(config("public"), out, b -> {});
    assertFalse(console.contains(CANARY));

    List<Row> initial = rows(out.resolve("public/iterations/000/population.parquet"));
    assertEquals(40, initial.size());
    for (Row r : initial) {
      assertEquals("public", r.getAs("provenance"), "the random API of public mode copies public records");
      assertEquals(r.<String>getAs("label"), publicLabel.get(r.<String>getAs("text")), "a public record of the sample's label");
    }
    List<Row> synthetic = rows(out.resolve("public/synthetic"));
    assertTrue(List.of(SparkTestSession.get().read().parquet(out.resolve("public/synthetic").toString()).columns()).contains("provenance"));
    Set<String> kinds = new HashSet<>();
    for (Row r : synthetic) {
      String provenance = r.getAs("provenance");
      String text = r.getAs("text");
      kinds.add(provenance);
      assertTrue(Set.of("generated", "public").contains(provenance), provenance);
      if (provenance.equals("public")) {
        assertTrue(publicLabel.containsKey(text), "a 'public' row is a verbatim public record");
      }
      assertFalse(text.contains(CANARY), "no private text reaches the synthetic set");
    }
    assertTrue(kinds.contains("public"), "kept parents are public copies");

    // keywords: derived from the labelled public corpus alone, never from the private canary records
    LocalGenerator g = (LocalGenerator) Models.generator(config("public").generator(), null);
    PublicCorpus.Records records = PublicCorpus.read(Models.publicSource(config("public").generator()), new Configuration());
    assertEquals(LocalGenerator.fromRecords(records).derivedKeywords(), g.derivedKeywords());
    assertFalse(g.keywordsOf("spam").isEmpty());
    assertFalse(g.keywordsOf("spam").contains(CANARY), g.keywordsOf("spam").toString());
  }

  @Test
  void ngramModeMarksEverySampleGenerated() {
    Path out = dir.resolve("ngram-run");
    PrivateEvolutionTest.runPe(config("ngram"), out, b -> {});
    List<Row> synthetic = rows(out.resolve("public/synthetic"));
    assertFalse(synthetic.isEmpty());
    for (Row r : synthetic) {
      assertEquals("generated", r.getAs("provenance"));
    }
  }
}
