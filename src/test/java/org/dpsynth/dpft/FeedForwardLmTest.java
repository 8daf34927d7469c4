package org.dpsynth.dpft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeedForwardLmTest {

  /** Every coordinate of the hand-written gradient matches a central finite difference of the loss. */
  @Test
  void gradientMatchesFiniteDifferences() {
    FeedForwardLm.Shape shape = new FeedForwardLm.Shape(9, 2, 3, 4, 3);
    double[] p = FeedForwardLm.initialParameters(shape, 5);
    SplittableRandom rnd = new SplittableRandom(3);
    for (int i = 0; i < p.length; i++) {
      p[i] += rnd.nextDouble(-0.5, 0.5); // non-zero biases, larger weights: a generic point
    }
    int[] seq = {3, 4, 0, 8, 5, 5, 2};
    int code = 2;
    FeedForwardLm model = new FeedForwardLm(shape, p);
    double[] grad = new double[p.length];
    double nll = model.accumulateGradient(seq, code, 1.0, grad);
    assertEquals(model.negLogLikelihood(seq, code), nll, 1e-12);
    double h = 1e-5;
    int nonZero = 0;
    for (int i = 0; i < p.length; i++) {
      double keep = p[i];
      p[i] = keep + h;
      double up = model.negLogLikelihood(seq, code) / seq.length;
      p[i] = keep - h;
      double down = model.negLogLikelihood(seq, code) / seq.length;
      p[i] = keep;
      double numeric = (up - down) / (2 * h);
      assertEquals(numeric, grad[i], 1e-7 + 1e-5 * Math.abs(numeric), "parameter " + i);
      nonZero += grad[i] != 0 ? 1 : 0;
    }
    // Rows of unused tokens/codes stay zero; everything else must have been reached.
    assertTrue(nonZero > p.length / 2, "only " + nonZero + " non-zero gradient coordinates");
  }

  @Test
  void scaleAndAccumulationAreLinear() {
    FeedForwardLm.Shape shape = new FeedForwardLm.Shape(6, 3, 2, 3, 2);
    FeedForwardLm model = new FeedForwardLm(shape, FeedForwardLm.initialParameters(shape, 1));
    int[] a = {3, 4, 2};
    double[] once = new double[shape.parameters()];
    model.accumulateGradient(a, 1, 2.0, once);
    double[] twice = new double[shape.parameters()];
    model.accumulateGradient(a, 1, 1.0, twice);
    model.accumulateGradient(a, 1, 1.0, twice);
    assertArrayEquals(once, twice, 1e-15);
  }

  @Test
  void nextDistributionIsADistribution() {
    FeedForwardLm.Shape shape = new FeedForwardLm.Shape(7, 2, 2, 3, 2);
    FeedForwardLm model = new FeedForwardLm(shape, FeedForwardLm.initialParameters(shape, 2));
    double[] p = model.nextDistribution(new int[] {3, 4}, 2, 1);
    double s = 0;
    for (double x : p) {
      assertTrue(x > 0);
      s += x;
    }
    assertEquals(1.0, s, 1e-12);
  }

  @Test
  void vocabularyIsBuiltFromPublicTextAndRoundTrips() {
    Vocabulary v = Vocabulary.build(List.of("the cat sat. The dog sat!", "a cat"), 4);
    // counts: cat 2, sat 2, the 2, then ! . a dog 1 (alphabetical among ties)
    assertEquals(List.of("<unk>", "<bos>", "<eos>", "cat", "sat", "the", "!"), v.tokens());
    int[] ids = v.encode("The cat sat on a mat", 10);
    assertEquals(Vocabulary.EOS, ids[ids.length - 1]);
    assertEquals(Vocabulary.UNK, ids[3]); // "on" is not in the vocabulary
    assertEquals("The cat sat", v.decode(new int[] {5, 3, 4, Vocabulary.EOS}));
    assertEquals(3, v.encode("the cat sat on", 3).length); // cut: no <eos>
  }

  @Test
  void modelFileRoundTrips(@TempDir Path dir) {
    FeedForwardLm.Shape shape = new FeedForwardLm.Shape(5, 1, 2, 2, 2);
    Vocabulary v = new Vocabulary(List.of("<unk>", "<bos>", "<eos>", "a", "b"));
    double[] p = FeedForwardLm.initialParameters(shape, 9);
    Path f = dir.resolve("m.bin");
    ModelFile.writeModel(f, new ModelFile.Model(shape, v, p, "test"));
    ModelFile.Model back = ModelFile.readModel(f);
    assertEquals(shape, back.shape());
    assertEquals(v, back.vocabulary());
    assertArrayEquals(p, back.parameters());
    assertEquals("test", back.provenance());
  }
}
