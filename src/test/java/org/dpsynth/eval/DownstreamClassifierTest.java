package org.dpsynth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/** Spark MLlib logistic regression, train on one labelled set, accuracy on another. */
class DownstreamClassifierTest {
  /* Label a <-> first coordinate and the word "apple"; label b <-> second coordinate and "brick". */
  static DownstreamClassifier.Labelled data(int n, boolean swapLabels) {
    List<String> texts = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    float[][] v = new float[n][];
    for (int i = 0; i < n; i++) {
      boolean a = i % 2 == 0;
      texts.add((a ? "apple pie number " : "brick wall number ") + i);
      labels.add(a ^ swapLabels ? "a" : "b");
      float jitter = (i % 5) * 0.02f;
      v[i] = a ? new float[] {1 - jitter, jitter} : new float[] {jitter, 1 - jitter};
    }
    return new DownstreamClassifier.Labelled(texts, labels, v);
  }

  @Test
  void separableDataIsClassifiedPerfectlyAndSwappedTrainingLabelsGetEverythingWrong() {
    var spark = SparkTestSession.get();
    DownstreamClassifier.Accuracy good = DownstreamClassifier.evaluate(spark, data(20, false), data(10, false));
    assertEquals(1.0, good.embedding(), 0);
    assertEquals(1.0, good.tfidf(), 0);
    DownstreamClassifier.Accuracy bad = DownstreamClassifier.evaluate(spark, data(20, true), data(10, false));
    assertEquals(0.0, bad.embedding(), 0);
    assertEquals(0.0, bad.tfidf(), 0);
  }

  @Test
  void aTestLabelUnseenInTrainingCountsAsWrong() {
    var test = data(10, false);
    List<String> labels = new ArrayList<>(test.labels());
    labels.set(0, "c");
    labels.set(1, "c");
    DownstreamClassifier.Accuracy acc = DownstreamClassifier.evaluate(SparkTestSession.get(), data(20, false),
        new DownstreamClassifier.Labelled(test.texts(), labels, test.vectors()));
    assertEquals(0.8, acc.embedding(), 1e-12);
  }

  @Test
  void oneTrainingLabelIsRefused() {
    var train = data(4, false);
    assertThrows(IllegalArgumentException.class, () -> DownstreamClassifier.evaluate(SparkTestSession.get(),
        new DownstreamClassifier.Labelled(train.texts(), List.of("a", "a", "a", "a"), train.vectors()), data(4, false)));
  }

  @Test
  void perRecordOutcomesGiveStandardErrorsAndPairedDifferences() {
    var acc = DownstreamClassifier.evaluate(SparkTestSession.get(), data(20, false), data(10, false));
    assertEquals(10, acc.n());
    assertEquals(10, acc.embeddingCorrect().length);
    assertEquals(0.0, acc.embeddingStandardError(), 0, "a perfect classifier has binomial SE 0");
    assertEquals(Math.sqrt(0.8 * 0.2 / 10), DownstreamClassifier.standardError(0.8, 10), 1e-15);

    var majority = DownstreamClassifier.majorityClass(List.of("b", "a", "b", "c", "b", "a"));
    assertEquals("b", majority.label());
    assertEquals(0.5, majority.accuracy(), 1e-15);
    assertEquals(java.util.Arrays.toString(new boolean[] {true, false, true, false, true, false}),
        java.util.Arrays.toString(majority.correct()));
    assertEquals("a", DownstreamClassifier.majorityClass(List.of("b", "a")).label(), "ties: first in sorted order");

    // per-record differences of x and y
    boolean[] x = {true, true, true, false, false, true, false, true};
    boolean[] y = {false, false, true, false, true, true, false, true};
    double[] d = {1, 1, 0, 0, -1, 0, 0, 0};
    double mean = 1.0 / 8;
    double ss = 0;
    for (double v : d) {
      ss += (v - mean) * (v - mean);
    }
    assertEquals(Math.sqrt(ss / 7 / 8), DownstreamClassifier.pairedStandardError(x, y), 1e-15);
    assertEquals(0.0, DownstreamClassifier.pairedStandardError(x, x), 0, "a classifier against itself");
  }
}
