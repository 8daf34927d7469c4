package org.dpsynth.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
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

  /** Accuracy of logistic regression on embeddings and on TF-IDF, trained on train, tested on test. */
  public record Accuracy(double embedding, double tfidf) {}

  public static Accuracy evaluate(SparkSession spark, Labelled train, Labelled test) {
    List<String> classes = new ArrayList<>(new TreeSet<>(train.labels()));
    test.labels().stream().filter(l -> !classes.contains(l)).distinct().sorted().forEach(classes::add);
    if (new TreeSet<>(train.labels()).size() < 2) {
      throw new IllegalArgumentException("the training set has fewer than 2 labels");
    }
    return new Accuracy(accuracy(spark, train, test, classes, false), accuracy(spark, train, test, classes, true));
  }

  private static double accuracy(SparkSession spark, Labelled train, Labelled test, List<String> classes, boolean tfidf) {
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
    return new MulticlassClassificationEvaluator()
        .setLabelCol("label")
        .setPredictionCol("prediction")
        .setMetricName("accuracy")
        .evaluate(predictions);
  }

  private static Dataset<Row> frame(SparkSession spark, Labelled data, List<String> classes) {
    StructType schema = new StructType()
        .add("label", DataTypes.DoubleType, false)
        .add("text", DataTypes.StringType, false)
        .add("embedding", SQLDataTypes.VectorType(), false);
    List<Row> rows = new ArrayList<>(data.texts().size());
    for (int i = 0; i < data.texts().size(); i++) {
      double[] v = new double[data.vectors()[i].length];
      for (int c = 0; c < v.length; c++) {
        v[c] = data.vectors()[i][c];
      }
      rows.add(RowFactory.create((double) classes.indexOf(data.labels().get(i)), data.texts().get(i), Vectors.dense(v)));
    }
    return spark.createDataFrame(rows, schema);
  }
}
