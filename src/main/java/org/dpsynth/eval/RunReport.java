package org.dpsynth.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.dpsynth.privacy.GaussianAccountant;
import org.dpsynth.run.RunDirectory;

/**
 * {@code public/report.html} of a run: one self-contained page built ONLY from files under the
 * run's {@code public/} area (the manifest, the released histograms and label counts, the public
 * populations), so everything it shows is configuration, a DP release, or post-processing of one.
 */
public final class RunReport {
  static final int SAMPLES_PER_LABEL = 5;
  static final int IMAGES_PER_LABEL = 16;
  static final int IMAGES_PER_LABEL_PER_ITERATION = 4;
  /** Iterations that get an image grid: all when there are at most this many populations, else the first, the last and evenly spaced ones. */
  static final int MAX_ITERATION_GRIDS = 11;
  /** Bound on the PNG bytes the page inlines (base64 adds a third); images past it are left out and counted. */
  static final long MAX_INLINED_IMAGE_BYTES = 4L << 20;

  /** What is left of {@link #MAX_INLINED_IMAGE_BYTES}, and how many images did not fit. */
  static final class ImageBudget {
    long left;
    int omitted;

    ImageBudget(long bytes) {
      left = bytes;
    }
  }

  private RunReport() {}

  /** Writes {@code runRoot/public/report.html} of a local run directory and returns its path. */
  public static java.nio.file.Path write(SparkSession spark, java.nio.file.Path runRoot) {
    write(spark, RunDirectory.at(runRoot.toAbsolutePath().toUri().toString(), spark.sparkContext().hadoopConfiguration()));
    return runRoot.resolve("public/report.html");
  }

  /** Writes {@code public/report.html} of a run directory on any file system and returns its path. */
  public static Path write(SparkSession spark, RunDirectory run) {
    Path pub = run.publicDir();
    JsonNode manifest = run.readJson(run.manifest());
    JsonNode privacy = manifest.path("privacy");
    List<String> labels = new ArrayList<>();
    manifest.path("labels").forEach(l -> labels.add(l.asText()));

    HtmlPage page = new HtmlPage("dpsynth run report");
    String version = manifest.path("version").asText("null");
    page.paragraph(String.format(Locale.ROOT, "Run %s, status %s, by dpsynth%s (%s).",
        manifest.path("run_id").asText(), manifest.path("status").asText(),
        "null".equals(version) ? "" : " " + version, manifest.path("method").asText()));
    String noise = manifest.path("noise").asText();
    if (!"secure".equals(noise)) {
      page.banner("warning", "TEST MODE: this run used the noise source '" + noise
          + "', not secure noise. Its privacy guarantee does not hold; do not share it as private data.");
    }
    page.heading(2, "Privacy in plain words");
    page.list(privacyInWords(privacy, noise));

    // Per-iteration values from public files only.
    List<String> xs = new ArrayList<>();
    List<Double> massPct = new ArrayList<>();
    List<Double> mass = new ArrayList<>();
    List<Double> eps = new ArrayList<>();
    Map<Integer, Double> logged = new LinkedHashMap<>();
    manifest.path("iterations").forEach(it -> logged.put(it.path("iteration").asInt(), it.path("epsilon_spent").asDouble()));
    int before = "dp".equals(privacy.path("label_proportions").asText()) ? 1 : 0;
    for (int t = 1; ; t++) {
      Path h = run.histogram(t);
      if (!run.isFile(h)) {
        break;
      }
      JsonNode hist = run.readJson(h);
      double threshold = hist.path("threshold").asDouble();
      double above = 0;
      double positive = 0;
      for (JsonNode v : hist.path("noisy_votes")) {
        above += Math.max(0, v.asDouble() - threshold);
        positive += Math.max(0, v.asDouble());
      }
      xs.add(String.valueOf(t));
      mass.add(above);
      massPct.add(positive > 0 ? 100 * above / positive : 0.0);
      eps.add(logged.containsKey(t) ? logged.get(t)
          : epsilonAfter(privacy, before, t));
    }
    page.heading(2, "Iterations");
    if (xs.isEmpty()) {
      page.paragraph("No iteration has released a histogram yet.");
    } else {
      page.chart("chart-mass", "Noisy vote mass above the threshold, per iteration (share of the positive noisy mass, and votes).",
          dualAxis(xs, massPct, mass));
      double target = privacy.path("epsilon").asDouble();
      List<double[]> epsSeries = List.of(toArray(eps), constant(target, xs.size()));
      page.chart("chart-epsilon", "Privacy budget spent after each iteration (epsilon at the run's delta), against the run's total.",
          HtmlPage.series("line", xs, List.of("epsilon spent", "epsilon of the whole run"), epsSeries, "epsilon"));
    }

    List<String> popX = new ArrayList<>();
    List<Map<String, Long>> perLabel = new ArrayList<>();
    for (int t = 0; ; t++) {
      Path p = run.population(t);
      if (!run.exists(p)) {
        break;
      }
      popX.add(String.valueOf(t));
      perLabel.add(countByLabel(spark, p));
    }
    if (!popX.isEmpty()) {
      List<String> names = labels.isEmpty() ? new ArrayList<>(perLabel.get(0).keySet()) : labels;
      List<double[]> values = new ArrayList<>();
      for (String l : names) {
        double[] v = new double[popX.size()];
        for (int t = 0; t < v.length; t++) {
          v[t] = perLabel.get(t).getOrDefault(l, 0L);
        }
        values.add(v);
      }
      ObjectNode stacked = HtmlPage.series("bar", popX, names, values, "samples");
      ObjectNode scales = (ObjectNode) stacked.path("options").path("scales");
      ((ObjectNode) scales.path("y")).put("stacked", true);
      scales.putObject("x").put("stacked", true).putObject("title").put("display", true).put("text", "iteration (0 = initial)");
      page.chart("chart-population", "Population size per label in each iteration (public synthetic samples).", stacked);
    }

    Path labelsJson = run.labelRelease();
    if (run.isFile(labelsJson)) {
      JsonNode lj = run.readJson(labelsJson);
      List<String> ln = new ArrayList<>();
      lj.path("labels").forEach(l -> ln.add(l.asText()));
      double[] counts = new double[ln.size()];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = lj.path("noisy_counts").path(i).asDouble();
      }
      page.chart("chart-labels", "DP-released (noisy) label counts that set the label proportions.",
          HtmlPage.series("bar", ln, List.of("noisy count"), List.of(counts), "noisy count"));
    }

    Path synthetic = run.synthetic();
    boolean images = run.exists(synthetic)
        && List.of(spark.read().parquet(synthetic.toString()).columns()).contains(org.dpsynth.pe.PrivateEvolution.IMAGE_COLUMN);
    if (images) {
      ImageBudget budget = new ImageBudget(MAX_INLINED_IMAGE_BYTES);
      page.heading(2, "Synthetic images per label");
      page.paragraph("Up to " + IMAGES_PER_LABEL + " synthetic images of each label from public/synthetic (the first by id), inlined.");
      page.raw(imageGrid(spark, synthetic, IMAGES_PER_LABEL, labels, budget));
      List<Integer> shown = gridIterations(popX.size());
      if (!shown.isEmpty()) {
        page.heading(2, "Synthetic images per iteration");
        page.paragraph("Up to " + IMAGES_PER_LABEL_PER_ITERATION + " images of each label from the population of "
            + (shown.size() < popX.size() ? shown.size() + " of the " + popX.size() + " iterations (the first, the last and evenly "
                + "spaced ones between)" : "each iteration") + " (public/iterations/NNN/population.parquet, the first by id), inlined.");
        for (int t : shown) {
          page.heading(3, t == 0 ? "Iteration 0 (initial population)" : "Iteration " + t);
          page.raw(imageGrid(spark, run.population(t), IMAGES_PER_LABEL_PER_ITERATION, labels, budget));
        }
      }
      if (budget.omitted > 0) {
        page.paragraph(budget.omitted + " images were left out: the page inlines at most " + (MAX_INLINED_IMAGE_BYTES >> 20)
            + " MiB of images.");
      }
    } else if (run.exists(synthetic)) {
      page.heading(2, "Synthetic samples per label");
      page.paragraph("Up to " + SAMPLES_PER_LABEL + " synthetic texts of each label from public/synthetic (the first by id).");
      List<Row> rows = spark.read().parquet(synthetic.toString()).select("id", "label", "text").orderBy("label", "id").collectAsList();
      Map<String, List<String>> byLabel = new LinkedHashMap<>();
      for (Row r : rows) {
        List<String> l = byLabel.computeIfAbsent(String.valueOf(r.<String>getAs("label")), k -> new ArrayList<>());
        if (l.size() < SAMPLES_PER_LABEL) {
          l.add(String.valueOf(r.<String>getAs("text")));
        }
      }
      List<List<String>> tableRows = new ArrayList<>();
      byLabel.forEach((label, texts) -> texts.forEach(t -> tableRows.add(List.of(label, t))));
      page.raw("<div class=\"sample\">");
      page.table(List.of("label", "synthetic text"), tableRows);
      page.raw("</div>\n");
    }
    page.paragraph("Every value on this page is public configuration, a differentially private release, or computed "
        + "from those (public/manifest.json, public/iterations/NNN/histogram.json, public/labels.json and the public "
        + "synthetic populations).");
    Path out = new Path(pub, "report.html");
    run.commit(out, page.render().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return out;
  }

  /** The populations (0 = initial) that get a grid, of {@code populations} in all: at most {@link #MAX_ITERATION_GRIDS}. */
  static List<Integer> gridIterations(int populations) {
    List<Integer> out = new ArrayList<>();
    int n = Math.min(populations, MAX_ITERATION_GRIDS);
    for (int i = 0; i < n; i++) {
      int t = n == 1 ? 0 : (int) Math.round(i * (populations - 1) / (double) (n - 1));
      if (out.isEmpty() || out.get(out.size() - 1) != t) {
        out.add(t);
      }
    }
    return out;
  }

  /** A table of the first {@code perLabel} images by id of each label (the run's label order) of a Parquet set with an image column. */
  static String imageGrid(SparkSession spark, Path parquet, int perLabel, List<String> labelOrder, ImageBudget budget) {
    String image = org.dpsynth.pe.PrivateEvolution.IMAGE_COLUMN;
    List<Row> rows = spark.read().parquet(parquet.toString()).select("id", "label", image)
        .withColumn("_n", functions.row_number().over(org.apache.spark.sql.expressions.Window.partitionBy("label").orderBy("id")))
        .filter(functions.col("_n").leq(perLabel)).orderBy("label", "id").collectAsList();
    Map<String, List<byte[]>> byLabel = new LinkedHashMap<>();
    labelOrder.forEach(l -> byLabel.put(l, new ArrayList<>()));
    for (Row r : rows) {
      byLabel.computeIfAbsent(String.valueOf(r.<String>getAs("label")), k -> new ArrayList<>()).add(r.getAs(image));
    }
    StringBuilder grid = new StringBuilder("<table class=\"images\">\n");
    byLabel.forEach((label, pngs) -> {
      if (pngs.isEmpty()) {
        return;
      }
      grid.append("<tr><th>").append(HtmlPage.escape(label)).append("</th><td>");
      for (byte[] png : pngs) {
        if (png.length > budget.left) {
          budget.omitted++;
          continue;
        }
        budget.left -= png.length;
        grid.append("<img width=\"56\" height=\"56\" style=\"image-rendering:pixelated\" alt=\"\" src=\"data:image/png;base64,")
            .append(java.util.Base64.getEncoder().encodeToString(png)).append("\">");
      }
      grid.append("</td></tr>\n");
    });
    return grid.append("</table>\n").toString();
  }

  static List<String> privacyInWords(JsonNode p, String noise) {
    List<String> out = new ArrayList<>();
    out.add(String.format(Locale.ROOT,
        "Unit of privacy: the %s. Adding or removing all records of one %s changes the probability of any output of this run "
            + "by at most a factor e^epsilon = %.3g (epsilon = %.4g), except with probability delta = %.3g.",
        p.path("unit").asText("user"), p.path("unit").asText("user"), Math.exp(p.path("epsilon").asDouble()),
        p.path("epsilon").asDouble(), p.path("delta").asDouble()));
    out.add(String.format(Locale.ROOT,
        "Each %s contributes at most %d records; one %s's votes in an iteration, over all labels together, are scaled to length "
            + "at most C = %.4g.", p.path("unit").asText("user"), p.path("max_records_per_user").asInt(),
        p.path("unit").asText("user"), p.path("sensitivity").asDouble()));
    out.add(String.format(Locale.ROOT,
        "The sums are released %d times with Gaussian noise of standard deviation %.4g (noise multiplier sigma = %.4g), "
            + "composed with the %s (mu = %.4g).", p.path("steps").asInt(), p.path("noise_stddev").asDouble(),
        p.path("sigma").asDouble(), p.path("accountant").asText("Gaussian DP accountant"), p.path("mu").asDouble()));
    out.add("Label proportions: " + ("dp".equals(p.path("label_proportions").asText())
        ? "released with noise and charged to the same budget." + labelBound(p)
        : "public (given in the configuration), not learned from the data."));
    out.add("secure".equals(noise) ? "Noise is drawn from an exact discrete Gaussian sampler fed by SecureRandom."
        : "Noise source: " + noise + " (TEST MODE, not private).");
    out.add("Everything after the noisy releases (thresholding, selection, generation) only sees the noisy values.");
    return out;
  }

  /** Epsilon after iteration t from the manifest's noise multipliers (the label release, if any, first at its own). */
  private static double epsilonAfter(JsonNode p, int labelReleases, int t) {
    double sigma = p.path("sigma").asDouble();
    List<GaussianAccountant.GaussianRelease> rs = new ArrayList<>();
    if (labelReleases > 0) {
      rs.add(new GaussianAccountant.GaussianRelease(p.path("label_sigma").asDouble(sigma), 1.0, 1));
    }
    rs.add(new GaussianAccountant.GaussianRelease(sigma, 1.0, t));
    return GaussianAccountant.epsilon(rs, p.path("delta").asDouble());
  }

  private static String labelBound(JsonNode p) {
    if (!p.has("label_max_records_per_user")) {
      return "";
    }
    String own = p.has("label_sigma") && p.path("label_sigma").asDouble() != p.path("sigma").asDouble()
        ? String.format(Locale.ROOT, " Their release has its own noise multiplier %.4g (labels.budget_share %s of the budget).",
            p.path("label_sigma").asDouble(), p.path("label_budget_share").asText())
        : "";
    return String.format(Locale.ROOT, " For them each %s's per-label counts cover at most %d records and are clipped to L2 norm %.4g.",
        p.path("unit").asText("user"), p.path("label_max_records_per_user").asInt(), p.path("label_sensitivity").asDouble()) + own;
  }

  private static ObjectNode dualAxis(List<String> xs, List<Double> pct, List<Double> votes) {
    ObjectNode c = HtmlPage.series("line", xs, List.of("% of positive noisy mass above threshold", "votes above threshold"),
        List.of(toArray(pct), toArray(votes)), "% of mass");
    ArrayNode sets = (ArrayNode) c.path("data").path("datasets");
    ((ObjectNode) sets.get(0)).put("yAxisID", "y");
    ((ObjectNode) sets.get(1)).put("yAxisID", "y1");
    ObjectNode scales = (ObjectNode) c.path("options").path("scales");
    ObjectNode y1 = scales.putObject("y1");
    y1.put("position", "right");
    y1.putObject("grid").put("drawOnChartArea", false);
    y1.putObject("title").put("display", true).put("text", "votes");
    scales.putObject("x").putObject("title").put("display", true).put("text", "iteration");
    return c;
  }

  private static Map<String, Long> countByLabel(SparkSession spark, Path population) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (Row r : spark.read().parquet(population.toString()).groupBy("label").agg(functions.count("*").as("n")).collectAsList()) {
      m.put(String.valueOf(r.<String>getAs("label")), r.<Long>getAs("n"));
    }
    return m;
  }

  static double[] toArray(List<Double> l) {
    return l.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static double[] constant(double v, int n) {
    double[] a = new double[n];
    java.util.Arrays.fill(a, v);
    return a;
  }
}
