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
}
