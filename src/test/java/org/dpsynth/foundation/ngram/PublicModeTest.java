package org.dpsynth.foundation.ngram;

import org.dpsynth.text.PublicCorpus;
import org.dpsynth.text.WordTokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dpsynth.foundation.Generator;
import org.dpsynth.foundation.Generator.Provenance;
import org.junit.jupiter.api.Test;

/** The embedded generator's public mode and keyword derivation, on a small labelled public corpus. */
class PublicModeTest {
  private static final List<String> SPAM = List.of(
      "Free money offer: click here to claim your prize today.",
      "Earn extra income from home, free offer, click now.",
      "Cheap credit and free money for your business, order today.",
      "Click to remove yourself from this free offer list.",
      "Your prize is waiting: free cash, click the link to order.",
      "Lowest mortgage rates, free quote, click here today.");
  private static final List<String> HAM = List.of(
      "The patch fixes the kernel build on the new compiler version.",
      "Thanks, I applied your patch to the package and rebuilt it.",
      "The mailing list archive has the thread about the kernel bug.",
      "Which version of the package shows the build problem?",
      "I wrote a small script to test the patch against the kernel.",
      "The bug is in the driver code; the patch below fixes it.");

  static PublicCorpus.Records labelled() {
    List<String> texts = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < SPAM.size(); i++) {
      texts.add(SPAM.get(i));
      labels.add("spam");
      texts.add(HAM.get(i));
      labels.add("ham");
    }
    return new PublicCorpus.Records(texts, labels, "test corpus");
  }

  static LocalGenerator publicMode(PublicCorpus.Records r, double share) {
    return LocalGenerator.fromRecords(r).withPublicMode(new LocalGenerator.PublicMode(share, 4));
  }

  @Test
  void randomApiDrawsPublicRecordsOfTheLabel() {
    LocalGenerator g = publicMode(labelled(), 0.5);
    for (String label : List.of("spam", "ham")) {
      List<Generator.Text> out = g.randomWithProvenance(label, 60, 7);
      assertEquals(60, out.size());
      Set<String> seen = new HashSet<>();
      for (Generator.Text t : out) {
        assertEquals(Provenance.PUBLIC, t.provenance());
        assertTrue((label.equals("spam") ? SPAM : HAM).contains(t.text()), label + " got " + t.text());
        seen.add(t.text());
      }
      // 60 uniform draws from 6 records miss one with probability <= 6 (5/6)^60 < 1e-4
      assertEquals(6, seen.size(), "draws cover the label's records");
    }
    assertEquals(g.random("spam", 10, 3), g.random("spam", 10, 3), "deterministic per seed");
  }

  @Test
  void unlabelledCorpusDrawsTheRecordsClosestToEachLabelsKeywords() {
    List<String> texts = new ArrayList<>(labelled().texts());
    PublicCorpus.Records unlabelled = new PublicCorpus.Records(texts, null, "unlabelled");
    LocalGenerator g = LocalGenerator.fromRecords(unlabelled)
        .withLabelKeywords(Map.of("spam", List.of("free", "click", "offer"), "ham", List.of("patch", "kernel", "package")))
        .withPublicMode(new LocalGenerator.PublicMode(1, 4));
    assertTrue(g.derivedKeywords().isEmpty(), "nothing to derive without labels");
    for (String t : g.random("spam", 40, 1)) {
      assertTrue(SPAM.contains(t), "spam drew " + t);
    }
    for (String t : g.random("ham", 40, 1)) {
      assertTrue(HAM.contains(t), "ham drew " + t);
    }
  }

  @Test
  void variationsAreNearPublicNeighboursOrRewritesWithTheirProvenance() {
    List<String> parents = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      parents.add(HAM.get(i % HAM.size()));
    }
    LocalGenerator all = publicMode(labelled(), 1);
    List<Generator.Text> near = all.variationWithProvenance("ham", parents, 0.25, 5);
    for (int i = 0; i < near.size(); i++) {
      Generator.Text t = near.get(i);
      assertEquals(Provenance.PUBLIC, t.provenance());
      assertTrue(HAM.contains(t.text()), "a ham parent's neighbours are ham records of a labelled corpus");
      assertFalse(t.text().equals(parents.get(i)), "never the parent itself");
    }
    // degree 0.25 x 4 neighbours: the single nearest record; it is the same for the same parent
    assertEquals(near.get(0).text(), near.get(HAM.size()).text());

    LocalGenerator none = publicMode(labelled(), 0);
    for (Generator.Text t : none.variationWithProvenance("ham", parents, 0.5, 5)) {
      assertEquals(Provenance.GENERATED, t.provenance());
    }
    // at share 0.5 both kinds occur; 40 fair coins all alike has probability 2^-39
    Set<Provenance> kinds = new HashSet<>();
    publicMode(labelled(), 0.5).variationWithProvenance("ham", parents, 0.5, 9).forEach(t -> kinds.add(t.provenance()));
    assertEquals(Set.of(Provenance.PUBLIC, Provenance.GENERATED), kinds);
    // degree 0 leaves every text as it is
    assertEquals(parents, all.variation("ham", parents, 0, 5));
  }

  @Test
  void ngramModeStillWritesEverySample() {
    LocalGenerator g = LocalGenerator.fromRecords(labelled());
    assertTrue(g.randomWithProvenance("spam", 5, 1).stream().allMatch(t -> t.provenance() == Provenance.GENERATED));
    assertTrue(g.variationWithProvenance("spam", SPAM, 0.5, 1).stream().allMatch(t -> t.provenance() == Provenance.GENERATED));
  }

  @Test
  void keywordsAreDerivedFromTheLabelledPublicCorpusOnly() {
    LocalGenerator g = LocalGenerator.fromRecords(labelled());
    Map<String, List<String>> derived = g.derivedKeywords();
    assertEquals(Set.of("spam", "ham"), derived.keySet());
    assertTrue(derived.get("spam").containsAll(List.of("free", "click")), derived.toString());
    assertTrue(derived.get("ham").containsAll(List.of("patch", "kernel")), derived.toString());
    Set<String> publicWords = new HashSet<>(WordTokenizer.tokenize(String.join(" ", labelled().texts())));
    derived.values().forEach(ws -> assertTrue(publicWords.containsAll(ws), "every keyword is a public-corpus word"));
    assertFalse(derived.get("spam").contains("the"), "function words do not mark a label");
    assertEquals(derived, LabelKeywords.derive(labelled(), LocalGenerator.DERIVED_KEYWORDS), "a function of the public corpus alone");
    assertEquals(derived.get("ham"), g.keywordsOf("ham"), "used when none are configured");
    assertEquals(List.of("x"), g.withLabelKeywords(Map.of("ham", List.of("x"))).keywordsOf("ham"), "configured keywords win");
    assertEquals(List.of(), g.withLabelKeywords(Map.of("ham", List.of("x"))).keywordsOf("spam"));
  }
}
