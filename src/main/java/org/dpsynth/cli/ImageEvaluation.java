package org.dpsynth.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.CorpusSettings;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.eval.Evaluation;
import org.dpsynth.eval.FrechetDistance;
import org.dpsynth.pe.ModelCalls;
import org.dpsynth.pe.PrivateEvolution;

/**
 * {@code evaluate} for images (first slice of issue #17): the Fréchet distance between the
 * embeddings (configured image embedder) of real images and of each synthetic population, and the
 * label total variation. OPERATOR-ONLY: it reads real images.
 */
final class ImageEvaluation {
  private static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  private ImageEvaluation() {}

  /** One scored population. */
  /** One population's scores; as JSON: population, samples, frechet, label_frechet and (when labelled) label_tv. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Scored(@JsonProperty("population") String name, int samples, double frechet, double labelFrechet, Double labelTv) {}

  static int run(SparkSession spark, CorpusSettings cfg, String real, Path runDir, boolean isRun, String synthetic,
      boolean perIteration, boolean json) {
    List<Row> realRows = CorpusReader.read(spark, cfg.input()).filter("text is not null").select("text", "label").collectAsList();
    if (realRows.size() < 2) {
      throw new IllegalArgumentException("--real " + real + ": need at least 2 valid images");
    }
    List<String> realImages = new ArrayList<>();
    List<String> realLabels = new ArrayList<>();
    realRows.forEach(r -> {
      realImages.add(r.getString(0));
      realLabels.add(String.valueOf(r.get(1)));
    });
    float[][] realVec = ModelCalls.embed(spark, cfg.embedder(), null, realImages);
    List<Scored> scored = new ArrayList<>();
    if (isRun) {
      for (int t = 0; ; t++) {
        Path pop = runDir.resolve(String.format("public/iterations/%03d/population.parquet", t));
        if (!Files.isDirectory(pop) || (!perIteration && t > 0)) {
          break;
        }
        scored.add(score(spark, cfg, "iteration " + t, pop.toString(), realVec, realLabels));
      }
    }
    String path = isRun ? runDir.resolve("public/synthetic").toString() : synthetic;
    scored.add(score(spark, cfg, "final", path, realVec, realLabels));
    ObjectNode out = JSON.createObjectNode();
    out.put("note", "OPERATOR-ONLY: computed from real data; not differentially private");
    out.put("real", realImages.size());
    out.set("populations", JSON.valueToTree(scored));
    if (json) {
      System.out.println(out);
    } else {
      System.out.println(out.get("note").asText());
      System.out.printf(Locale.ROOT, "%-14s %7s %9s %14s %9s%n", "population", "samples", "Frechet", "label Frechet", "label TV");
      for (Scored s : scored) {
        System.out.printf(Locale.ROOT, "%-14s %7d %9.4f %14.4f %9s%n", s.name(), s.samples(), s.frechet(), s.labelFrechet(),
            s.labelTv() == null ? "-" : String.format(Locale.ROOT, "%.4f", s.labelTv()));
      }
    }
    return 0;
  }

  private static Scored score(SparkSession spark, CorpusSettings cfg, String name, String path, float[][] realVec, List<String> realLabels) {
    List<Row> rows = spark.read().parquet(path).select(PrivateEvolution.IMAGE_COLUMN, "label").collectAsList();
    if (rows.size() < 2) {
      throw new IllegalArgumentException(path + ": need at least 2 synthetic images");
    }
    List<String> images = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    rows.forEach(r -> {
      images.add(Base64.getEncoder().encodeToString(r.getAs(0)));
      labels.add(String.valueOf(r.get(1)));
    });
    float[][] vec = ModelCalls.embed(spark, cfg.embedder(), null, images);
    return new Scored(name, images.size(), FrechetDistance.between(vec, realVec), labelFrechet(vec, labels, realVec, realLabels),
        Evaluation.totalVariation(labels, realLabels));
  }

  /**
   * The class-conditional Fréchet distance: the mean over labels (with at least 2 synthetic and 2
   * real images) of the distance between that label's synthetic and real embeddings.
   */
  static double labelFrechet(float[][] syn, List<String> synLabels, float[][] real, List<String> realLabels) {
    double sum = 0;
    int n = 0;
    for (String l : new java.util.TreeSet<>(realLabels)) {
      float[][] a = select(syn, synLabels, l);
      float[][] b = select(real, realLabels, l);
      if (a.length >= 2 && b.length >= 2) {
        sum += FrechetDistance.between(a, b);
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  private static float[][] select(float[][] v, List<String> labels, String label) {
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < v.length; i++) {
      if (labels.get(i).equals(label)) {
        out.add(v[i]);
      }
    }
    return out.toArray(new float[0][]);
  }
}
