package org.dpsynth.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The operator's {@code evaluation.html}: utility metrics of a synthetic corpus against real data,
 * per iteration when given a run, and the memorisation distribution. OPERATOR-ONLY: it is computed
 * from real data and is not differentially private, so it is never written under a {@code public/}
 * directory. It shows numbers only, never a real text.
 */
public final class EvaluationReport {
  private EvaluationReport() {}

  /** One scored population: a name ("iteration 3", "final") and its evaluation. */
  public record Scored(String name, Evaluation evaluation) {}

  /**
   * Refuses a directory inside any {@code public/} (by its normalised path and, for the part that
   * exists, its real path, so a symbolic link does not get round it).
   */
  public static Path checkOutsidePublic(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    List<Path> forms = new ArrayList<>(List.of(abs));
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing != null) {
      try {
        forms.add(existing.toRealPath());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot resolve " + existing, e);
      }
    }
    for (Path p : forms) {
      for (Path name : p) {
        if (name.toString().equals("public")) {
          throw new IllegalArgumentException("--report-dir " + dir + " is inside a public/ directory; the evaluation "
              + "report is OPERATOR-ONLY (computed from real data, not DP) and must be written elsewhere");
        }
      }
    }
    return abs;
  }

  /**
   * Writes {@code dir/evaluation.html}.
   *
   * @param populations the scored populations in order (iterations, then "final")
   * @param trainReal downstream accuracy of the classifier trained on real training data, or null
   * @param majority the majority-class baseline of the real test data, or null when unlabelled
   */
  public static Path write(Path dir, String realPath, String syntheticPath, List<Scored> populations,
      DownstreamClassifier.Accuracy trainReal, DownstreamClassifier.MajorityClass majority) {
    Path abs = checkOutsidePublic(dir);
    HtmlPage page = new HtmlPage("dpsynth evaluation (OPERATOR-ONLY)");
    page.banner("operator", "OPERATOR-ONLY: computed from real data; not differentially private. Do not publish this "
        + "page or put it under a run's public/ directory.");
    page.paragraph("Real (test) data: " + realPath + ". Synthetic: " + syntheticPath + ".");
    List<String> header = List.of("population", "samples", "Frechet", "MAUVE", "precision", "recall", "density", "coverage",
        "length W1 (words)", "length KS", "accuracy (embedding LR) ± SE", "accuracy (TF-IDF LR) ± SE", "label TV");
    List<List<String>> rows = new ArrayList<>();
    for (Scored s : populations) {
      Evaluation e = s.evaluation();
      rows.add(List.of(s.name(), String.valueOf(e.synthetic()), f(e.frechet()), f(e.mauve()), f(e.manifold().precision()),
          f(e.manifold().recall()), f(e.manifold().density()), f(e.manifold().coverage()), f(e.length().wasserstein1()),
          f(e.length().ks()), e.downstream() == null ? "-" : withSe(e.downstream().embedding(), e.downstream().embeddingStandardError()),
          e.downstream() == null ? "-" : withSe(e.downstream().tfidf(), e.downstream().tfidfStandardError()),
          e.labelTotalVariation() == null ? "-" : f(e.labelTotalVariation())));
    }
    if (trainReal != null) {
      rows.add(List.of("real training data", "-", "-", "-", "-", "-", "-", "-", "-", "-",
          withSe(trainReal.embedding(), trainReal.embeddingStandardError()), withSe(trainReal.tfidf(), trainReal.tfidfStandardError()), "-"));
    }
    if (majority != null) {
      String m = withSe(majority.accuracy(), majority.standardError());
      rows.add(List.of("majority class (always '" + majority.label() + "')", "-", "-", "-", "-", "-", "-", "-", "-", "-", m, m, "-"));
    }
    page.heading(2, "Metrics");
    page.table(header, rows);
    int k = populations.get(populations.size() - 1).evaluation().manifold().k();
    page.paragraph("Precision/recall (Kynkaanniemi et al. 2019) and density/coverage (Naeem et al. 2020) on k-NN manifolds "
        + "with k = " + k + " in the embedding space. MAUVE (Pillutla et al. 2021): area under the divergence frontier of "
        + "k-means histograms of the real and synthetic embeddings (1 = same distribution). Accuracy: multinomial logistic "
        + "regression (Spark MLlib) trained on the population and tested on the real data; ± one binomial standard error "
        + "over the test records.");

    List<String> xs = populations.stream().map(Scored::name).toList();
    if (populations.size() > 1) {
      page.heading(2, "Per population");
      page.chart("chart-frechet", "Frechet distance to the real data (lower is better) and MAUVE (higher is better).",
          HtmlPage.series("line", xs, List.of("Frechet distance", "MAUVE"),
              List.of(metric(populations, Evaluation::frechet), metric(populations, Evaluation::mauve)), "value"));
      page.chart("chart-manifold", "Precision, recall, density and coverage (k = " + k + ").",
          HtmlPage.series("line", xs, List.of("precision", "recall", "density", "coverage"), List.of(
              metric(populations, e -> e.manifold().precision()), metric(populations, e -> e.manifold().recall()),
              metric(populations, e -> e.manifold().density()), metric(populations, e -> e.manifold().coverage())), "value"));
    }
    if (populations.stream().anyMatch(s -> s.evaluation().downstream() != null)) {
      List<String> names = new ArrayList<>(List.of("embedding LR, trained on population", "TF-IDF LR, trained on population"));
      List<double[]> values = new ArrayList<>(List.of(
          metric(populations, e -> e.downstream() == null ? Double.NaN : e.downstream().embedding()),
          metric(populations, e -> e.downstream() == null ? Double.NaN : e.downstream().tfidf())));
      if (trainReal != null) {
        names.add("embedding LR, trained on real data");
        names.add("TF-IDF LR, trained on real data");
        values.add(RunReport.constant(trainReal.embedding(), xs.size()));
        values.add(RunReport.constant(trainReal.tfidf(), xs.size()));
      }
      page.chart("chart-accuracy", "Downstream accuracy on the real test data.",
          HtmlPage.series("line", xs, names, values, "accuracy"));
    }
    Memorisation mem = populations.get(populations.size() - 1).evaluation().memorisation();
    if (mem != null) {
      page.heading(2, "Memorisation (OPERATOR-ONLY)");
      page.paragraph(String.format(Locale.ROOT, "For each synthetic text of '%s': the longest run of consecutive word tokens it "
              + "shares with its nearest real text (embedding). Mean %.2f, p50 %d, p90 %d, max %d tokens; mean cosine "
              + "similarity to the nearest real text %.3f.", populations.get(populations.size() - 1).name(), mem.mean(),
          mem.percentile(0.5), mem.percentile(0.9), mem.max(), mem.meanNearestSimilarity()));
      int[] hist = mem.histogram();
      List<String> lx = new ArrayList<>();
      double[] counts = new double[hist.length];
      for (int i = 0; i < hist.length; i++) {
        lx.add(String.valueOf(i));
        counts[i] = hist[i];
      }
      var cfg = HtmlPage.series("bar", lx, List.of("synthetic texts"), List.of(counts), "synthetic texts");
      ((com.fasterxml.jackson.databind.node.ObjectNode) cfg.path("options").path("scales")).putObject("x").putObject("title")
          .put("display", true).put("text", "longest shared token span");
      page.chart("chart-memorisation", "Distribution of the longest shared token span.", cfg);
    }
    Path out = abs.resolve("evaluation.html");
    page.write(out);
    return out;
  }

  private static double[] metric(List<Scored> pops, ToDoubleFunction<Evaluation> f) {
    return pops.stream().mapToDouble(s -> f.applyAsDouble(s.evaluation())).toArray();
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  private static String withSe(double v, double se) {
    return Double.isNaN(se) ? f(v) : String.format(Locale.ROOT, "%.4f ± %.4f", v, se);
  }
}
