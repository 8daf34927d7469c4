package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dpsynth.foundation.image.RandomConvEmbedder;
import org.dpsynth.foundation.image.SimulatedImageGenerator;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.junit.jupiter.api.Test;

/**
 * User-level sensitivity of image votes: real Fashion-MNIST images (embedded by the image
 * embedder) vote for a population made by the image generator; adding one user, whatever their
 * images, changes the clipped vote histogram by at most the charged bound C in L2.
 */
class ImageVoteSensitivityTest {
  private static final double C = 1.0;
  private static final List<String> LABELS = List.of("tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
      "sneaker", "bag", "boot");

  @Test
  void oneUserMovesTheImageVoteHistogramByAtMostC() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> pubImages = new ArrayList<>();
    List<String> pubLabels = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("data-samples/fashion/fashion-public.jsonl"))) {
      JsonNode n = json.readTree(line);
      pubImages.add(n.get("image").asText());
      pubLabels.add(n.get("label").asText());
    }
    List<String> lines = Files.readAllLines(Path.of("data-samples/fashion/fashion-private.jsonl")).subList(0, 400);
    RandomConvEmbedder e = RandomConvEmbedder.shared();
    // population: 6 generated images per label, varied once
    SimulatedImageGenerator g = new SimulatedImageGenerator(pubImages, pubLabels);
    List<float[]> pop = new ArrayList<>();
    List<Integer> popLabels = new ArrayList<>();
    for (int l = 0; l < LABELS.size(); l++) {
      List<String> drawn = g.variation(LABELS.get(l), g.random(LABELS.get(l), 6, l), 0.3, 100 + l);
      for (float[] v : e.embed(drawn).vectors()) {
        pop.add(v);
        popLabels.add(l);
      }
    }
    SyntheticIndex index = SyntheticIndex.build(pop.toArray(new float[0][]), popLabels.stream().mapToInt(Integer::intValue).toArray(),
        LABELS.size());
    // others: the first 300 private images, one user per image; heavy: 100 images of many labels (no record cap here)
    List<VoteAccumulatorTest.User> others = new ArrayList<>();
    List<Integer> heavyLabels = new ArrayList<>();
    List<String> heavyImages = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      JsonNode n = json.readTree(lines.get(i));
      int label = LABELS.indexOf(n.get("label").asText());
      float[] v = e.embed(List.of(n.get("image").asText())).vectors()[0];
      if (i < 300) {
        others.add(new VoteAccumulatorTest.User(new int[] {label}, new float[][] {v}));
      } else {
        heavyLabels.add(label);
        heavyImages.add(n.get("image").asText());
      }
    }
    VoteAccumulatorTest.User heavy = new VoteAccumulatorTest.User(heavyLabels.stream().mapToInt(Integer::intValue).toArray(), e.embed(heavyImages).vectors());
    GridGaussianMechanism mech = new GridGaussianMechanism(C, index.size());
    for (int k : new int[] {1, 4}) {
      long[] without = VoteAccumulatorTest.histogram(index, others, k, mech);
      List<VoteAccumulatorTest.User> with = new ArrayList<>(others);
      with.add(heavy);
      double n = VoteAccumulatorTest.contributionNorm(VoteAccumulatorTest.histogram(index, with, k, mech), without, mech.grid());
      assertTrue(n <= C, "k=" + k + ": one user moved the histogram by " + n + " > C");
      assertTrue(n > 0.99 * C, "the heavy user is clipped to about C, got " + n);
      // Test of the test: without effective clipping the same user moves it far more than C.
      GridGaussianMechanism loose = new GridGaussianMechanism(1000 * C, index.size());
      double ln = VoteAccumulatorTest.contributionNorm(VoteAccumulatorTest.histogram(index, with, k, loose), VoteAccumulatorTest.histogram(index, others, k, loose), loose.grid());
      assertTrue(ln > 5 * C, "the check would catch a mechanism without clipping: " + ln);
    }
  }
}
