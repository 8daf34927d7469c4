package org.dpsynth.cli;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.CorpusSettings;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.eval.DownstreamClassifier;
import org.dpsynth.eval.Evaluation;
import org.dpsynth.eval.FrechetDistance;
import org.dpsynth.eval.ManifoldMetrics;
import org.dpsynth.pe.ModelCalls;
import org.dpsynth.pe.PrivateEvolution;

/**
 * {@code evaluate} for images: per synthetic population, in the configured image embedder's space,
 * the Fréchet distance to the real images (overall and per label), the label total variation, k-NN
 * precision/recall/density/coverage, and the accuracy of a downstream classifier (multinomial
 * logistic regression on the embeddings, {@link DownstreamClassifier}) trained on the population and
 * tested on held-out real images, with the paired standard error of final − iteration 0. The real
 * images are embedded and summarised once. OPERATOR-ONLY: it reads real images.
 */
final class ImageEvaluation {
  private static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  private ImageEvaluation() {}

  /**
   * One population's scores; as JSON: population, samples, frechet, label_frechet, label_tv (when
   * labelled), precision, recall, density, coverage, downstream_accuracy and its binomial se.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Scored(@JsonProperty("population") String name, int samples, double frechet, double labelFrechet, Double labelTv,
      double precision, double recall, double density, double coverage, Double downstreamAccuracy, Double downstreamAccuracySe,
      @JsonIgnore boolean[] correct) {}

  /** Labelled real images and their embeddings. */
  record Images(List<String> payloads, List<String> labels, float[][] vectors) {
    DownstreamClassifier.Labelled labelled() {
      return new DownstreamClassifier.Labelled(payloads, labels, vectors);
    }
  }

  /**
   * The real side, computed once: the Fréchet summary of all real images and of each label's, the
   * k-NN radii of the real manifold, and the embedded test images of the downstream classifier.
   */
  static final class Reference {
    final Images real;
    final Images test;
    final int k;
    final FrechetDistance.Reference all;
    final Map<String, FrechetDistance.Reference> byLabel = new LinkedHashMap<>();
    final double[] radii;

    Reference(Images real, Images test, int k) {
      this.real = real;
      this.test = test;
      this.k = k;
      all = FrechetDistance.reference(real.vectors());
      for (String l : new TreeSet<>(real.labels())) {
        float[][] v = select(real.vectors(), real.labels(), l);
        if (v.length >= 2) {
          byLabel.put(l, FrechetDistance.reference(v));
        }
      }
      radii = ManifoldMetrics.kthNeighbourSquared(real.vectors(), k);
    }
  }

  static int run(SparkSession spark, CorpusSettings cfg, String real, CorpusSettings testCfg, String test, Path runDir, boolean isRun,
      String synthetic, boolean perIteration, boolean json, int k) {
    Images realImages = read(spark, cfg, "--real " + real);
    Images testImages = testCfg == null ? realImages : read(spark, testCfg, "--heldout " + test);
    Reference ref = new Reference(realImages, testImages, k);
    List<Scored> scored = new ArrayList<>();
    if (isRun) {
      for (int t = 0; ; t++) {
        Path pop = runDir.resolve(String.format("public/iterations/%03d/population.parquet", t));
        if (!Files.isDirectory(pop) || (!perIteration && t > 0)) {
          break;
        }
        scored.add(score(spark, cfg, "iteration " + t, pop.toString(), ref));
      }
    }
    String path = isRun ? runDir.resolve("public/synthetic").toString() : synthetic;
    scored.add(score(spark, cfg, "final", path, ref));
    DownstreamClassifier.MajorityClass majority = DownstreamClassifier.majorityClass(testImages.labels());
    ObjectNode out = JSON.createObjectNode();
    out.put("note", "OPERATOR-ONLY: computed from real data; not differentially private");
    out.put("real", realImages.payloads().size());
    out.put("test", testCfg == null ? "real" : "heldout");
    out.put("test_images", testImages.payloads().size());
    out.put("k", k);
    out.put("majority_class_accuracy", majority.accuracy());
    out.set("populations", JSON.valueToTree(scored));
    Scored first = scored.get(0);
    Scored last = scored.get(scored.size() - 1);
    boolean paired = isRun && scored.size() > 1 && first.correct() != null && last.correct() != null;
    double diff = paired ? last.downstreamAccuracy() - first.downstreamAccuracy() : Double.NaN;
    double diffSe = paired ? DownstreamClassifier.pairedStandardError(last.correct(), first.correct()) : Double.NaN;
    if (paired) {
      ObjectNode d = out.putObject("final_minus_iteration_0");
      d.put("frechet", last.frechet() - first.frechet());
      d.put("downstream_accuracy", diff);
      d.put("downstream_accuracy_paired_se", diffSe);
    }
    if (json) {
      System.out.println(out);
      return 0;
    }
    System.out.println(out.get("note").asText());
    System.out.printf(Locale.ROOT, "%-12s %7s %8s %8s %8s %9s %7s %7s  %s%n", "population", "samples", "Frechet", "label FD", "label TV",
        "precision", "recall", "cover", "accuracy+-se (tested on " + (testCfg == null ? "--real" : "--heldout") + ", "
            + testImages.payloads().size() + " images)");
    for (Scored s : scored) {
      System.out.printf(Locale.ROOT, "%-12s %7d %8.4f %8.4f %8s %9.3f %7.3f %7.3f  %s%n", s.name(), s.samples(), s.frechet(),
          s.labelFrechet(), s.labelTv() == null ? "-" : String.format(Locale.ROOT, "%.4f", s.labelTv()), s.precision(), s.recall(),
          s.coverage(), s.downstreamAccuracy() == null ? "-"
              : String.format(Locale.ROOT, "%.4f+-%.4f", s.downstreamAccuracy(), s.downstreamAccuracySe()));
    }
    System.out.printf(Locale.ROOT, "majority class of the test images: %.4f%n", majority.accuracy());
    if (paired) {
      System.out.printf(Locale.ROOT, "final - iteration 0: Frechet %+.4f, downstream accuracy %+.4f+-%.4f (paired se)%n",
          last.frechet() - first.frechet(), diff, diffSe);
    }
    return 0;
  }

  /** The valid images of the corpus {@code cfg.input()} names, with labels, embedded. */
  private static Images read(SparkSession spark, CorpusSettings cfg, String what) {
    List<Row> rows = CorpusReader.read(spark, cfg.input()).filter("text is not null").select("text", "label").collectAsList();
    if (rows.size() < 2) {
      throw new IllegalArgumentException(what + ": need at least 2 valid images");
    }
    List<String> images = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    rows.forEach(r -> {
      images.add(r.getString(0));
      labels.add(String.valueOf(r.get(1)));
    });
    return new Images(images, labels, ModelCalls.embed(spark, cfg.embedder(), null, images));
  }

  private static Scored score(SparkSession spark, CorpusSettings cfg, String name, String path, Reference ref) {
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
    return score(spark, name, new Images(images, labels, ModelCalls.embed(spark, cfg.embedder(), null, images)), ref);
  }

  /** The scores of one embedded, labelled synthetic population against the real reference. */
  static Scored score(SparkSession spark, String name, Images syn, Reference ref) {
    ManifoldMetrics m = ManifoldMetrics.of(ref.real.vectors(), ref.radii, syn.vectors(), ref.k);
    boolean[] correct = new TreeSet<>(syn.labels()).size() >= 2
        ? DownstreamClassifier.embeddingCorrect(spark, syn.labelled(), ref.test.labelled()) : null;
    Double acc = correct == null ? null : DownstreamClassifier.share(correct);
    return new Scored(name, syn.payloads().size(), FrechetDistance.between(syn.vectors(), ref.all),
        labelFrechet(syn.vectors(), syn.labels(), ref), Evaluation.totalVariation(syn.labels(), ref.real.labels()),
        m.precision(), m.recall(), m.density(), m.coverage(), acc,
        acc == null ? null : DownstreamClassifier.standardError(acc, correct.length), correct);
  }

  /**
   * The class-conditional Fréchet distance: the mean over labels (with at least 2 synthetic and 2
   * real images) of the distance between that label's synthetic and real embeddings.
   */
  static double labelFrechet(float[][] syn, List<String> synLabels, Reference ref) {
    double sum = 0;
    int n = 0;
    for (Map.Entry<String, FrechetDistance.Reference> e : ref.byLabel.entrySet()) {
      float[][] a = select(syn, synLabels, e.getKey());
      if (a.length >= 2) {
        sum += FrechetDistance.between(a, e.getValue());
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
