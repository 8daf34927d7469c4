package org.dpsynth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.CorpusSettings;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.eval.DownstreamClassifier;
import org.dpsynth.eval.Evaluation;
import org.dpsynth.eval.EvaluationReport;
import org.dpsynth.eval.Memorisation;
import org.dpsynth.pe.ModelCalls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code evaluate}: how close a synthetic corpus is to real data, in the embedding space of the
 * configured embedder, and how useful it is for training a classifier. OPERATOR-ONLY: it reads real
 * data, so its output is not DP and belongs outside any run's {@code public/} area.
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
      "Compare a synthetic corpus with real data: Frechet distance between the embedding distributions,",
      "MAUVE (k-means histograms of the embeddings, area under the divergence frontier),",
      "k-NN precision/recall/density/coverage, mean nearest-neighbour cosine distance in both directions,",
      "label total variation, word-count distribution distance, downstream accuracy (with its standard",
      "error) of a logistic regression trained on the synthetic data and tested on --real, next to the",
      "majority-class accuracy of --real and, for a run, the iteration-0 population (paired standard errors",
      "of the differences), and memorisation (longest token span shared with the nearest real text).",
      "OPERATOR-ONLY output: it reads real data and is not",
      "differentially private. With a run directory as --synthetic, --per-iteration also scores every",
      "iteration's population, and the report goes to RUN/private/evaluation/ unless --report-dir says otherwise.",
      "Images (--config with input.modality: image): per population, Frechet distance (overall and per label),",
      "label total variation, k-NN precision/recall/coverage and the accuracy of a logistic regression on the",
      "image embeddings trained on the population and tested on --heldout (default --real), with the paired",
      "standard error of final - iteration 0 (docs/images.md)."
    })
public final class EvaluateCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NOTE = "OPERATOR-ONLY: computed from real data; not differentially private";

  @Option(names = "--real", required = true, paramLabel = "PATH", description = "Real test records (Parquet, JSON Lines or CSV; columns text and label).")
  String real;

  @Option(names = "--synthetic", required = true, paramLabel = "PATH", description = "Synthetic Parquet, or a run directory (uses public/synthetic).")
  String synthetic;

  @Option(names = "--train-real", paramLabel = "PATH", description = "Real training records: the same classifier trained on them is the reference accuracy.")
  String trainReal;

  @Option(names = "--heldout", paramLabel = "PATH", description = "Images only: held-out real images (same columns as --real) on which the downstream classifier is tested (default: --real).")
  String heldout;

  @Option(names = "--per-iteration", description = "With a run directory: also score public/iterations/NNN/population.parquet.")
  boolean perIteration;

  @Option(names = "--k", paramLabel = "K", defaultValue = "5", description = "Neighbours for the precision/recall/density/coverage manifolds (default ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--report-dir", paramLabel = "DIR", description = "Write DIR/evaluation.html and DIR/evaluation.json (OPERATOR-ONLY; refused inside any public/). Default for a run directory: RUN/private/evaluation.")
  Path reportDir;

  /** A PE config: its embedder and input column names are used. */
  @Mixin ConfigOptions config;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    Path runDir = Path.of(synthetic);
    boolean isRun = Files.isDirectory(runDir.resolve("public"));
    Path reports = reportDir != null ? reportDir : isRun ? runDir.resolve("private").resolve("evaluation") : null;
    if (reports != null) {
      EvaluationReport.checkOutsidePublic(reports); // fail before any work
    }
    CorpusSettings cfg = settings(real);
    if (heldout != null && !cfg.input().images()) {
      throw new IllegalArgumentException("--heldout is for images (input.modality: image); for text, --real is the test set");
    }
    SparkSession spark = SparkSessions.getOrCreate("dpsynth evaluate");
    if (cfg.input().images()) {
      return ImageEvaluation.run(spark, cfg, real, heldout == null ? null : settings(heldout), heldout, runDir, isRun, synthetic,
          perIteration, json, k);
    }
    Evaluation.Corpus realCorpus = readReal(spark, cfg, real, "--real");
    DownstreamClassifier.MajorityClass majority = realCorpus.labelled() ? DownstreamClassifier.majorityClass(realCorpus.labels()) : null;
    DownstreamClassifier.Accuracy trainRealAccuracy = null;
    if (trainReal != null) {
      requireLabels(realCorpus, "--real");
      Evaluation.Corpus train = readReal(spark, settings(trainReal), trainReal, "--train-real");
      requireLabels(train, "--train-real");
      trainRealAccuracy = DownstreamClassifier.evaluate(spark, train.asLabelled(), realCorpus.asLabelled());
    }

    String syntheticPath = isRun ? runDir.resolve("public/synthetic").toString() : synthetic;
    List<EvaluationReport.Scored> scored = new ArrayList<>();
    ObjectNode out = JSON.createObjectNode();
    out.put("note", NOTE);
    Evaluation iteration0 = null;
    if (isRun) {
      ArrayNode its = perIteration ? out.putArray("iterations") : null;
      for (int t = 0; ; t++) {
        Path pop = runDir.resolve(String.format("public/iterations/%03d/population.parquet", t));
        if (!Files.isDirectory(pop) || (!perIteration && t > 0)) {
          break;
        }
        Evaluation e = score(spark, cfg, pop.toString(), realCorpus);
        if (t == 0) {
          iteration0 = e;
        }
        if (perIteration) {
          ObjectNode o = e.toJson(JSON);
          o.put("iteration", t);
          its.add(o);
          scored.add(new EvaluationReport.Scored("iteration " + t, e));
        }
      }
    }
    Evaluation finalEval = score(spark, cfg, syntheticPath, realCorpus);
    scored.add(new EvaluationReport.Scored("final", finalEval));
    ObjectNode finalJson = finalEval.toJson(JSON);
    for (Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> i = finalJson.fields(); i.hasNext(); ) {
      Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> f = i.next();
      out.set(f.getKey(), f.getValue());
    }
    out.set("final", finalJson);
    ObjectNode baselines = out.putObject("baselines");
    if (trainRealAccuracy != null) {
      trainRealAccuracy.writeTo(baselines.putObject("train_real"));
    }
    if (majority != null) {
      ObjectNode b = baselines.putObject("majority_class");
      b.put("label", majority.label());
      b.put("accuracy", majority.accuracy());
      b.put("se", majority.standardError());
      out.put("majority_class_accuracy", majority.accuracy());
    }
    if (iteration0 != null) {
      baselines.set("iteration_0", iteration0.toJson(JSON));
    }
    List<Comparison> comparisons = comparisons(finalEval, iteration0, majority);
    if (!comparisons.isEmpty()) {
      ObjectNode c = out.putObject("comparisons");
      for (Comparison cmp : comparisons) {
        ObjectNode o = c.putObject(cmp.key());
        o.put("difference", cmp.difference());
        o.put("paired_se", cmp.pairedSe());
        o.put("difference_in_se", cmp.difference() / cmp.pairedSe());
      }
    }
    if (reports != null) {
      Path html = EvaluationReport.write(reports, real, synthetic, scored, trainRealAccuracy, majority);
      out.put("report", html.toString());
      try {
        Files.writeString(html.resolveSibling("evaluation.json"), out.toPrettyString());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + html.resolveSibling("evaluation.json"), e);
      }
    }
    if (json) {
      System.out.println(out.toString());
    } else {
      printTable(scored, iteration0, trainRealAccuracy, majority, comparisons, finalEval.memorisation(), out.path("report").asText(null));
    }
    return 0;
  }

  /**
   * The final set's downstream accuracy minus a baseline's, measured on the same test records, with
   * the paired standard error of the difference.
   */
  record Comparison(String key, String text, double difference, double pairedSe) {}

  static List<Comparison> comparisons(Evaluation fin, Evaluation iteration0, DownstreamClassifier.MajorityClass majority) {
    List<Comparison> out = new ArrayList<>();
    DownstreamClassifier.Accuracy a = fin.downstream();
    if (a == null || a.embeddingCorrect() == null) {
      return out;
    }
    if (majority != null) {
      out.add(new Comparison("final_vs_majority_class", "final - majority class (embedding LR)", a.embedding() - majority.accuracy(),
          DownstreamClassifier.pairedStandardError(a.embeddingCorrect(), majority.correct())));
      out.add(new Comparison("final_vs_majority_class_tfidf", "final - majority class (TF-IDF LR)", a.tfidf() - majority.accuracy(),
          DownstreamClassifier.pairedStandardError(a.tfidfCorrect(), majority.correct())));
    }
    DownstreamClassifier.Accuracy b = iteration0 == null ? null : iteration0.downstream();
    if (b != null && b.embeddingCorrect() != null) {
      out.add(new Comparison("final_vs_iteration_0", "final - iteration 0 (embedding LR)", a.embedding() - b.embedding(),
          DownstreamClassifier.pairedStandardError(a.embeddingCorrect(), b.embeddingCorrect())));
      out.add(new Comparison("final_vs_iteration_0_tfidf", "final - iteration 0 (TF-IDF LR)", a.tfidf() - b.tfidf(),
          DownstreamClassifier.pairedStandardError(a.tfidfCorrect(), b.tfidfCorrect())));
    }
    return out;
  }

  private void printTable(List<EvaluationReport.Scored> scored, Evaluation iteration0, DownstreamClassifier.Accuracy trainRealAcc,
      DownstreamClassifier.MajorityClass majority, List<Comparison> comparisons, Memorisation mem, String report) {
    System.out.println(NOTE);
    String fmt = "%-18s %7s %8s %7s %9s %7s %7s %8s %8s %15s %15s %10s %10s %8s%n";
    System.out.printf(Locale.ROOT, fmt, "population", "samples", "Frechet", "MAUVE", "precision", "recall", "density", "coverage",
        "len W1", "acc emb +-SE", "acc tfidf +-SE", "NN real->s", "NN s->real", "label TV");
    List<EvaluationReport.Scored> rows = new ArrayList<>(scored);
    if (iteration0 != null && !perIteration) {
      rows.add(0, new EvaluationReport.Scored("iteration 0", iteration0));
    }
    for (EvaluationReport.Scored s : rows) {
      Evaluation e = s.evaluation();
      System.out.printf(Locale.ROOT, fmt, s.name(), e.synthetic(), f(e.frechet()), f(e.mauve()), f(e.manifold().precision()),
          f(e.manifold().recall()), f(e.manifold().density()), f(e.manifold().coverage()), f(e.length().wasserstein1()),
          e.downstream() == null ? "-" : withSe(e.downstream().embedding(), e.downstream().embeddingStandardError()),
          e.downstream() == null ? "-" : withSe(e.downstream().tfidf(), e.downstream().tfidfStandardError()),
          f(e.nearestRealToSynthetic()), f(e.nearestSyntheticToReal()),
          e.labelTotalVariation() == null ? "-" : f(e.labelTotalVariation()));
    }
    if (trainRealAcc != null) {
      System.out.printf(Locale.ROOT, fmt, "real training data", "-", "-", "-", "-", "-", "-", "-", "-",
          withSe(trainRealAcc.embedding(), trainRealAcc.embeddingStandardError()),
          withSe(trainRealAcc.tfidf(), trainRealAcc.tfidfStandardError()), "-", "-", "-");
    }
    if (majority != null) {
      String m = withSe(majority.accuracy(), majority.standardError());
      System.out.printf(Locale.ROOT, fmt, "majority class", "-", "-", "-", "-", "-", "-", "-", "-", m, m, "-", "-", "-");
    }
    for (Comparison c : comparisons) {
      System.out.printf(Locale.ROOT, "%s: %+.4f (paired SE %.4f, %.1f SE)%n", c.text(), c.difference(), c.pairedSe(),
          c.difference() / c.pairedSe());
    }
    System.out.printf(Locale.ROOT, "memorisation (OPERATOR-ONLY; final): longest token span shared with the nearest real text: "
        + "mean %.2f, p50 %d, p90 %d, max %d%n", mem.mean(), mem.percentile(0.5), mem.percentile(0.9), mem.max());
    if (report != null) {
      System.out.println("report (OPERATOR-ONLY): " + report);
    }
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  private static String withSe(double v, double se) {
    return Double.isNaN(se) ? f(v) : String.format(Locale.ROOT, "%.4f+-%.4f", v, se);
  }

  /** The config's input and embedder settings, reading {@code path} (users are not needed here). */
  private CorpusSettings settings(String path) {
    return config.load("dpsynth evaluate", (file, overrides) -> {
      List<String> sets = new ArrayList<>(overrides);
      sets.add("input.path=" + path);
      sets.add("input.user_column=");
      return CorpusSettings.load(file, sets);
    });
  }

  private static void requireLabels(Evaluation.Corpus c, String option) {
    if (!c.labelled()) {
      throw new IllegalArgumentException(option + ": downstream accuracy needs a label column");
    }
  }

  private static Evaluation.Corpus readReal(SparkSession spark, CorpusSettings cfg, String path, String option) {
    Dataset<Row> rows = CorpusReader.read(spark, cfg.input()).filter("text is not null and trim(text) != ''");
    return embedded(spark, rows, cfg.input().hasLabels(), cfg, option + " " + path + ": need at least 2 records with text");
  }

  private Evaluation score(SparkSession spark, CorpusSettings cfg, String path, Evaluation.Corpus realCorpus) {
    Dataset<Row> syn = spark.read().parquet(path);
    Evaluation.Corpus s = embedded(spark, syn, List.of(syn.columns()).contains("label"), cfg, path + ": need at least 2 synthetic texts");
    Evaluation e = Evaluation.of(realCorpus, s, k);
    if (realCorpus.labelled() && s.labelled()) {
      e = e.withDownstream(DownstreamClassifier.evaluate(spark, s.asLabelled(), realCorpus.asLabelled()));
    }
    return e;
  }

  /** The texts (and labels) of {@code rows}, embedded; one collect for both columns, so they stay paired. */
  private static Evaluation.Corpus embedded(SparkSession spark, Dataset<Row> rows, boolean labelled, CorpusSettings cfg, String tooFew) {
    List<String> texts = new ArrayList<>();
    List<String> labels = labelled ? new ArrayList<>() : null;
    for (Row r : (labelled ? rows.select("text", "label") : rows.select("text")).collectAsList()) {
      texts.add(r.getString(0));
      if (labelled) {
        labels.add(r.isNullAt(1) ? "" : String.valueOf(r.get(1)));
      }
    }
    if (texts.size() < 2) {
      throw new IllegalArgumentException(tooFew);
    }
    return new Evaluation.Corpus(texts, labels, ModelCalls.embed(spark, cfg.embedder(), null, texts));
  }
}
