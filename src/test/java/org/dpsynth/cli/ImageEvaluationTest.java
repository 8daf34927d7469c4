package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dpsynth.eval.DownstreamClassifier;
import org.dpsynth.foundation.image.RandomConvEmbedder;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Image evaluation on the shipped Fashion-MNIST sample: 1,000 public images stand in for the real
 * set, the 600 held-out images are the classifier's test set, and "synthetic" populations are other
 * public images with true, wrong or one-class labels.
 */
class ImageEvaluationTest {
  static final List<String> publicImages = new ArrayList<>();
  static final List<String> publicLabels = new ArrayList<>();
  static ImageEvaluation.Reference ref;

  static void read(String file, List<String> images, List<String> labels) throws IOException {
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(Path.of(file))) {
      JsonNode n = json.readTree(line);
      images.add(n.get("image").asText());
      labels.add(n.get("label").asText());
    }
  }

  static ImageEvaluation.Images embedded(List<String> images, List<String> labels) {
    return new ImageEvaluation.Images(images, labels, RandomConvEmbedder.shared().embed(images).vectors());
  }

  @BeforeAll
  static void data() throws IOException {
    read("data-samples/fashion/fashion-public.jsonl", publicImages, publicLabels);
    List<String> heldImages = new ArrayList<>();
    List<String> heldLabels = new ArrayList<>();
    read("data-samples/fashion/fashion-heldout.jsonl", heldImages, heldLabels);
    ref = new ImageEvaluation.Reference(embedded(publicImages.subList(0, 1000), publicLabels.subList(0, 1000)),
        embedded(heldImages, heldLabels), 5);
  }

  /** 200 public images not in the real stand-in, from {@code from}, labelled by {@code labels}. */
  static ImageEvaluation.Images population(int from, List<String> labels) {
    return embedded(publicImages.subList(from, from + 200), labels);
  }

  @Test
  void aClassifierTrainedOnCorrectlyLabelledImagesBeatsOneOnWrongLabelsOnTheHeldOutImages() {
    var spark = SparkTestSession.get();
    List<String> right = publicLabels.subList(1000, 1200);
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      wrong.add(right.get((i + 1) % 200)); // each image gets its neighbour's label: the same mix, the wrong class
    }
    ImageEvaluation.Scored good = ImageEvaluation.score(spark, "right", population(1000, right), ref);
    ImageEvaluation.Scored bad = ImageEvaluation.score(spark, "wrong", population(1000, wrong), ref);
    assertEquals(600, good.correct().length);
    assertTrue(good.downstreamAccuracy() > 0.6, "right labels: " + good.downstreamAccuracy());
    assertTrue(bad.downstreamAccuracy() < 0.3, "wrong labels: " + bad.downstreamAccuracy());
    assertEquals(Math.sqrt(good.downstreamAccuracy() * (1 - good.downstreamAccuracy()) / 600), good.downstreamAccuracySe(), 1e-12);
    double se = DownstreamClassifier.pairedStandardError(good.correct(), bad.correct());
    assertTrue(se > 0 && good.downstreamAccuracy() - bad.downstreamAccuracy() > 5 * se, "difference vs paired se " + se);
    // the images are the same, so every image-only score agrees; only the label-aware ones differ
    assertEquals(good.frechet(), bad.frechet(), 1e-12);
    assertEquals(good.precision(), bad.precision(), 1e-12);
    assertTrue(bad.labelFrechet() > good.labelFrechet() + 0.05, good.labelFrechet() + " vs " + bad.labelFrechet());
  }

  @Test
  void aOneClassPopulationIsFartherAndCoversLessThanAnUnbiasedSample() {
    var spark = SparkTestSession.get();
    List<String> bagImages = new ArrayList<>();
    for (int i = 1000; i < publicImages.size() && bagImages.size() < 150; i++) {
      if (publicLabels.get(i).equals("bag")) {
        bagImages.add(publicImages.get(i));
      }
    }
    List<String> bagLabels = new ArrayList<>(java.util.Collections.nCopies(bagImages.size(), "bag"));
    ImageEvaluation.Scored bags = ImageEvaluation.score(spark, "bags", embedded(bagImages, bagLabels), ref);
    ImageEvaluation.Scored sample = ImageEvaluation.score(spark, "sample", population(1200, publicLabels.subList(1200, 1400)), ref);
    assertTrue(bags.frechet() > 3 * sample.frechet(), "one class " + bags.frechet() + " vs unbiased " + sample.frechet());
    assertTrue(sample.coverage() > 2 * bags.coverage(), "coverage " + sample.coverage() + " vs " + bags.coverage());
    assertTrue(sample.recall() > bags.recall(), "recall " + sample.recall() + " vs " + bags.recall());
    assertTrue(sample.labelTv() < 0.15 && bags.labelTv() > 0.8, sample.labelTv() + " / " + bags.labelTv());
    assertNull(bags.downstreamAccuracy(), "one label: no classifier");
  }
}
