package org.dpsynth.foundation.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dpsynth.foundation.Generator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded image models on the shipped Fashion-MNIST sample: determinism and basic properties. */
class ImageModelsTest {
  static final List<String> images = new ArrayList<>();
  static final List<String> labels = new ArrayList<>();

  @BeforeAll
  static void read() throws IOException {
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(Path.of("data-samples/fashion/fashion-public.jsonl"))) {
      JsonNode n = json.readTree(line);
      images.add(n.get("image").asText());
      labels.add(n.get("label").asText());
    }
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  @Test
  void embeddingsAreDeterministicUnitVectorsOfTheStatedDimension() {
    RandomConvEmbedder e = RandomConvEmbedder.shared();
    List<String> batch = images.subList(0, 50);
    float[][] a = e.embed(batch).vectors();
    float[][] b = e.embed(new ArrayList<>(batch)).vectors();
    for (int i = 0; i < a.length; i++) {
      assertEquals(e.dimension(), a[i].length);
      assertArrayEquals(a[i], b[i], "same image, same vector");
      assertEquals(1.0, Math.sqrt(dot(a[i], a[i])), 1e-5);
    }
    float[] black = e.embed(new GrayImage(28, 28, new float[28 * 28]));
    assertEquals(1.0, Math.sqrt(dot(black, black)), 1e-6, "an all-black image still gets a unit vector");
    assertThrows(IllegalArgumentException.class, () -> e.embed(List.of("not an image")));
  }

  @Test
  void aSlightlyPerturbedImageIsNearestToItsOriginal() {
    // 100 public images; each one's perturbation at degree 0.1 must find its own original as the
    // nearest of the 100 (cosine) in at least 90 cases: the embedding keeps shape, not just brightness.
    SimulatedImageGenerator g = new SimulatedImageGenerator(images, labels);
    RandomConvEmbedder e = RandomConvEmbedder.shared();
    List<String> originals = images.subList(0, 100);
    float[][] o = e.embed(originals).vectors();
    SplittableRandom rng = new SplittableRandom(7);
    List<String> perturbed = new ArrayList<>();
    originals.forEach(p -> perturbed.add(g.vary(labels.get(0), GrayImage.ofPayload(p), 0.1, rng.split()).payload()));
    float[][] v = e.embed(perturbed).vectors();
    int own = 0;
    for (int i = 0; i < v.length; i++) {
      int best = 0;
      for (int j = 1; j < o.length; j++) {
        if (dot(v[i], o[j]) > dot(v[i], o[best])) {
          best = j;
        }
      }
      own += best == i ? 1 : 0;
    }
    assertTrue(own >= 90, own + " of 100 varied images are nearest to their original");
  }

  @Test
  void theGeneratorIsDeterministicAndDrawsFromTheLabelsPublicImages() {
    SimulatedImageGenerator g = new SimulatedImageGenerator(images, labels);
    List<Generator.Text> bags = g.randomWithProvenance("bag", 30, 11);
    assertEquals(bags, g.randomWithProvenance("bag", 30, 11), "same seed, same draws");
    assertNotEquals(bags, g.randomWithProvenance("bag", 30, 12));
    for (Generator.Text t : bags) {
      int i = images.indexOf(t.text());
      assertTrue(i >= 0 && labels.get(i).equals("bag"), "a random draw is a public image of its label");
      assertEquals(Generator.Provenance.PUBLIC, t.provenance());
    }
    List<String> parents = images.subList(0, 20);
    assertEquals(parents, g.variation("bag", parents, 0.0, 3), "degree 0 returns the input");
    List<String> v = g.variation("bag", parents, 0.5, 3);
    assertEquals(v, g.variation("bag", parents, 0.5, 3));
    for (String p : v) {
      GrayImage img = GrayImage.fromPayload(p);
      assertNotNull(img);
      assertEquals(28, img.width());
      assertEquals(28, img.height());
    }
    assertThrows(UnsupportedOperationException.class, () -> g.topTokens("x", 3));
  }

  @Test
  void perturbationsMoveFurtherAtAHigherDegree() {
    SimulatedImageGenerator g = new SimulatedImageGenerator(images, labels);
    List<String> parents = images.subList(0, 100);
    double low = meanPixelDistance(parents, perturb(g, parents, 0.2, 5));
    double high = meanPixelDistance(parents, perturb(g, parents, 0.8, 5));
    assertTrue(low > 0 && high > 1.5 * low, "mean pixel L2 at degree 0.2: " + low + ", at 0.8: " + high);
  }

  private static List<String> perturb(SimulatedImageGenerator g, List<String> parents, double d, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<String> out = new ArrayList<>();
    parents.forEach(p -> out.add(g.vary(null, GrayImage.ofPayload(p), d, rng.split()).payload()));
    return out;
  }

  @Test
  void aHighDegreeVariationIsANearPublicImageAndALowOneMostlyAPerturbation() {
    // Unlabelled prior (as in conf/pe-fashion.yaml). At degree 0.5 (share min(1, 2 * 0.5) = 1) every
    // variation is one of the parent's ceil(0.5 * 20) = 10 nearest public images, never the parent,
    // reported as PUBLIC. At degree 0.2 about 40% are (share 0.4) and the rest are new pixels.
    SimulatedImageGenerator g = new SimulatedImageGenerator(images, null);
    List<String> parents = images.subList(0, 200);
    List<Generator.Text> high = g.variationWithProvenance(null, parents, 0.5, 21);
    for (int i = 0; i < parents.size(); i++) {
      String v = high.get(i).text();
      assertNotEquals(parents.get(i), v, "a variation is not its parent");
      assertEquals(Generator.Provenance.PUBLIC, high.get(i).provenance());
      int[] near = g.nearestPublic(null, GrayImage.ofPayload(parents.get(i)), SimulatedImageGenerator.neighbours(0.5));
      assertEquals(10, near.length);
      boolean among = false;
      for (int j : near) {
        among |= g.publicPayload(j).equals(v);
      }
      assertTrue(among, "variation " + i + " is one of its parent's 10 nearest public images");
    }
    // the nearest public images mostly share the parent's label (137 of 200 measured; about 20 by
    // chance with 10 balanced classes): the population mostly stays in its class
    int sameLabel = 0;
    for (int i = 0; i < parents.size(); i++) {
      sameLabel += labels.get(images.indexOf(high.get(i).text())).equals(labels.get(i)) ? 1 : 0;
    }
    assertTrue(sameLabel >= 100, sameLabel + " of 200 nearest public images share the parent's label");
    List<Generator.Text> low = g.variationWithProvenance(null, parents, 0.2, 22);
    int copies = 0;
    for (Generator.Text t : low) {
      boolean isPublic = images.contains(t.text());
      assertEquals(isPublic, t.provenance() == Generator.Provenance.PUBLIC, "provenance says whether it is a public image");
      copies += isPublic ? 1 : 0;
    }
    assertTrue(copies >= 50 && copies <= 110, copies + " of 200 low-degree variations are public images (expected about 80)");
  }

  private static double meanPixelDistance(List<String> a, List<String> b) {
    double s = 0;
    for (int i = 0; i < a.size(); i++) {
      float[] x = GrayImage.ofPayload(a.get(i)).pixels();
      float[] y = GrayImage.ofPayload(b.get(i)).pixels();
      double d = 0;
      for (int k = 0; k < x.length; k++) {
        d += (x[k] - y[k]) * (x[k] - y[k]);
      }
      s += Math.sqrt(d);
    }
    return s / a.size();
  }

  @Test
  void pngRoundTripKeepsEightBitPixels() {
    SplittableRandom rng = new SplittableRandom(1);
    float[] px = new float[12 * 7];
    for (int i = 0; i < px.length; i++) {
      px[i] = rng.nextInt(256) / 255f;
    }
    GrayImage g = new GrayImage(12, 7, px);
    GrayImage back = GrayImage.fromPayload(g.payload());
    assertEquals(12, back.width());
    assertArrayEquals(px, back.pixels(), 1e-6f);
    assertEquals(g.payload(), back.payload(), "encoding is deterministic");
  }
}
