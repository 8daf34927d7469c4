package org.dpsynth.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.HashingTF;
import org.apache.spark.ml.feature.IDF;
import org.apache.spark.ml.feature.RegexTokenizer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Downstream utility ("train on synthetic, test on real"): a multinomial logistic regression from
 * Spark MLlib is trained on one labelled corpus and its accuracy measured on a real test corpus,
 * either on the sentence embeddings or on TF-IDF features of the words. The hyper-parameters are
 * fixed here, the same for every training set, so the numbers compare training sets, not tuning.
 */
public final class DownstreamClassifier {
  static final double REG_PARAM = 0.01;
  static final int MAX_ITER = 100;
  static final int HASHED_FEATURES = 1 << 16;

  private DownstreamClassifier() {}

  /** A labelled corpus: texts, their labels and their embeddings (same order). */
  public record Labelled(List<String> texts, List<String> labels, float[][] vectors) {
    public Labelled {
      if (texts.size() != labels.size() || texts.size() != vectors.length) {
        throw new IllegalArgumentException("texts, labels and vectors differ in number");
      }
    }
  }

  /**
   * Accuracy of logistic regression on embeddings and on TF-IDF, trained on train, tested on the
   * {@code n} test records, with which test records each got right (null when not kept).
   */
  public record Accuracy(double embedding, double tfidf, int n, boolean[] embeddingCorrect, boolean[] tfidfCorrect) {
    /** Accuracies without per-record outcomes (standard errors are then NaN). */
    public Accuracy(double embedding, double tfidf) {
      this(embedding, tfidf, 0, null, null);
    }

    /** Writes the two accuracies and their standard errors into {@code o} (the evaluation JSON's keys). */
    public void writeTo(com.fasterxml.jackson.databind.node.ObjectNode o) {
      o.put("downstream_accuracy", embedding);
      o.put("downstream_accuracy_tfidf", tfidf);
      o.put("downstream_accuracy_se", embeddingStandardError());
      o.put("downstream_accuracy_tfidf_se", tfidfStandardError());
    }

    /** Binomial standard error of {@link #embedding}: sqrt(a(1 − a)/n) over the test records. */
    public double embeddingStandardError() {
      return standardError(embedding, n);
    }

    /** Binomial standard error of {@link #tfidf}. */
    public double tfidfStandardError() {
      return standardError(tfidf, n);
    }
  }

  /**
   * The majority-class baseline of a labelled test set: always answering its most frequent label
   * (ties: the label first in sorted order); {@code correct[i]} says whether that is record i's label.
   */
  public record MajorityClass(String label, double accuracy, int n, boolean[] correct) {
    public double standardError() {
      return DownstreamClassifier.standardError(accuracy, n);
    }
  }

  /** The majority-class baseline of {@code labels}. */
  public static MajorityClass majorityClass(List<String> labels) {
    if (labels.isEmpty()) {
      throw new IllegalArgumentException("no labels");
    }
    java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
    labels.forEach(l -> counts.merge(l, 1, Integer::sum));
    String best = null;
    for (java.util.Map.Entry<String, Integer> e : counts.entrySet()) {
      if (best == null || e.getValue() > counts.get(best)) {
        best = e.getKey();
      }
    }
    boolean[] correct = new boolean[labels.size()];
    for (int i = 0; i < correct.length; i++) {
      correct[i] = labels.get(i).equals(best);
    }
    return new MajorityClass(best, counts.get(best) / (double) labels.size(), labels.size(), correct);
  }

  /** sqrt(a(1 − a)/n): the standard error of an accuracy a measured on n independent test records. */
  public static double standardError(double accuracy, int n) {
    return n > 0 ? Math.sqrt(accuracy * (1 - accuracy) / n) : Double.NaN;
  }

  /**
   * The standard error of the difference of two accuracies measured on the SAME test records: the
   * standard deviation of the per-record differences (1, 0 or −1) over sqrt(n). Pairing removes the
   * variance the two share (records both get right or both get wrong), so it is smaller than the
   * two binomial errors combined.
   */
  public static double pairedStandardError(boolean[] a, boolean[] b) {
    if (a == null || b == null || a.length != b.length || a.length < 2) {
      return Double.NaN;
    }
    int n = a.length;
    double mean = 0;
    for (int i = 0; i < n; i++) {
      mean += ((a[i] ? 1 : 0) - (b[i] ? 1 : 0)) / (double) n;
    }
    double ss = 0;
    for (int i = 0; i < n; i++) {
      double d = (a[i] ? 1 : 0) - (b[i] ? 1 : 0) - mean;
      ss += d * d;
    }
    return Math.sqrt(ss / (n - 1) / n);
  }

  public static Accuracy evaluate(SparkSession spark, Labelled train, Labelled test) {
    List<String> classes = classes(train, test);
    boolean[] byEmbedding = correct(spark, train, test, classes, false);
    boolean[] byTfidf = correct(spark, train, test, classes, true);
    return new Accuracy(share(byEmbedding), share(byTfidf), test.texts().size(), byEmbedding, byTfidf);
  }

  /**
   * Which test records a logistic regression on the embeddings alone (no TF-IDF: for payloads that
   * are not words, e.g. images) trained on {@code train} labels correctly, in test order.
   */
  public static boolean[] embeddingCorrect(SparkSession spark, Labelled train, Labelled test) {
    return correct(spark, train, test, classes(train, test), false);
  }

  /** The training labels (sorted), then test labels the training set lacks; at least 2 training labels. */
  private static List<String> classes(Labelled train, Labelled test) {
    List<String> classes = new ArrayList<>(new TreeSet<>(train.labels()));
    test.labels().stream().filter(l -> !classes.contains(l)).distinct().sorted().forEach(classes::add);
    if (new TreeSet<>(train.labels()).size() < 2) {
      throw new IllegalArgumentException("the training set has fewer than 2 labels");
    }
    return classes;
  }

  /** The share of true values: the accuracy of per-record outcomes. */
  public static double share(boolean[] correct) {
    int c = 0;
    for (boolean b : correct) {
      c += b ? 1 : 0;
    }
    return c / (double) correct.length;
  }

  /** Which test records the classifier trained on {@code train} labels correctly, in test order. */
  private static boolean[] correct(SparkSession spark, Labelled train, Labelled test, List<String> classes, boolean tfidf) {
    Dataset<Row> trainDf = frame(spark, train, classes);
    Dataset<Row> testDf = frame(spark, test, classes);
    LogisticRegression lr = new LogisticRegression()
        .setFamily("multinomial")
        .setRegParam(REG_PARAM)
        .setMaxIter(MAX_ITER)
        .setLabelCol("label")
        .setFeaturesCol(tfidf ? "tfidf" : "embedding");
    PipelineStage[] stages = tfidf
        ? new PipelineStage[] {
            new RegexTokenizer().setInputCol("text").setOutputCol("words").setPattern("[^\\p{L}\\p{N}']+").setToLowercase(true),
            new HashingTF().setInputCol("words").setOutputCol("tf").setNumFeatures(HASHED_FEATURES),
            new IDF().setInputCol("tf").setOutputCol("tfidf"),
            lr}
        : new PipelineStage[] {lr};
    Dataset<Row> predictions = new Pipeline().setStages(stages).fit(trainDf).transform(testDf);
    boolean[] correct = new boolean[test.texts().size()];
    for (Row r : predictions.select("row", "label", "prediction").collectAsList()) {
      correct[r.getInt(0)] = r.getDouble(1) == r.getDouble(2);
    }
    return correct;
  }

  private static Dataset<Row> frame(SparkSession spark, Labelled data, List<String> classes) {
    StructType schema = new StructType()
        .add("row", DataTypes.IntegerType, false)
        .add("label", DataTypes.DoubleType, false)
        .add("text", DataTypes.StringType, false)
        .add("embedding", SQLDataTypes.VectorType(), false);
    List<Row> rows = new ArrayList<>(data.texts().size());
    for (int i = 0; i < data.texts().size(); i++) {
      double[] v = new double[data.vectors()[i].length];
      for (int c = 0; c < v.length; c++) {
        v[c] = data.vectors()[i][c];
      }
      rows.add(RowFactory.create(i, (double) classes.indexOf(data.labels().get(i)), data.texts().get(i), Vectors.dense(v)));
    }
    return spark.createDataFrame(rows, schema);
  }
}
