package org.dpsynth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.eval.Evaluation;
import org.dpsynth.pe.ModelCalls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code evaluate}: how close a synthetic corpus is to real data, in the embedding space of the
 * configured embedder. OPERATOR-ONLY: it reads real data, so its output is not DP and belongs
 * outside any run's {@code public/} area.
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
      "Compare a synthetic corpus with real data: Frechet distance between the embedding",
      "distributions, mean nearest-neighbour cosine distance in both directions, and label total",
      "variation. OPERATOR-ONLY output: it reads real data and is not differentially private.",
      "With a run directory as --synthetic, --per-iteration also scores every iteration's population."
    })
public final class EvaluateCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--real", required = true, paramLabel = "PATH", description = "Real records (Parquet, JSON Lines or CSV; columns text and label).")
  String real;

  @Option(names = "--synthetic", required = true, paramLabel = "PATH", description = "Synthetic Parquet, or a run directory (uses public/synthetic).")
  String synthetic;

  @Option(names = "--per-iteration", description = "With a run directory: also score public/iterations/NNN/population.parquet.")
  boolean perIteration;

  @Option(names = "--config", paramLabel = "FILE", description = "Job config whose embedder (and column names) to use; default: built-in.")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Config override (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    List<String> sets = new ArrayList<>(overrides);
    sets.add("input.path=" + real);
    sets.add("input.user_column=");
    if (config == null) {
      sets.add("labels.names=[unused]");
    }
    JobConfig cfg = ConfigLoader.load(config, sets);
    SparkSession spark = SparkSessions.getOrCreate("dpsynth evaluate");
    Dataset<Row> realRows = CorpusReader.read(spark, cfg.input())
        .filter("text is not null and trim(text) != ''");
    List<String> realTexts = realRows.select("text").as(Encoders.STRING()).collectAsList();
    List<String> realLabels = cfg.input().hasLabels() ? realRows.select("label").as(Encoders.STRING()).collectAsList() : null;
    if (realTexts.size() < 2) {
      throw new IllegalArgumentException("--real " + real + ": need at least 2 records with text");
    }
    String cache = null;
    float[][] realVecs = ModelCalls.embed(spark, cfg.embedder(), cache, realTexts);

    Path runDir = Path.of(synthetic);
    boolean isRun = Files.isDirectory(runDir.resolve("public"));
    String syntheticPath = isRun ? runDir.resolve("public/synthetic").toString() : synthetic;
    ObjectNode out = JSON.createObjectNode();
    out.put("note", "OPERATOR-ONLY: computed from real data; not differentially private");
    Evaluation finalEval = score(spark, cfg, syntheticPath, realVecs, realLabels);
    out.set("final", finalEval.toJson(JSON));
    List<String[]> rows = new ArrayList<>();
    if (perIteration && isRun) {
      ArrayNode its = out.putArray("iterations");
      for (int t = 0; ; t++) {
        Path pop = runDir.resolve(String.format("public/iterations/%03d/population.parquet", t));
        if (!Files.isDirectory(pop)) {
          break;
        }
        Evaluation e = score(spark, cfg, pop.toString(), realVecs, realLabels);
        ObjectNode o = e.toJson(JSON);
        o.put("iteration", t);
        its.add(o);
        rows.add(row("iteration " + t, e));
      }
    }
    rows.add(row("final", finalEval));
    if (json) {
      System.out.println(out.toString());
    } else {
      System.out.println("OPERATOR-ONLY: computed from real data; not differentially private");
      System.out.printf("%-14s %7s %9s %10s %10s %9s%n", "population", "samples", "Frechet", "NN real->s", "NN s->real", "label TV");
      for (String[] r : rows) {
        System.out.printf("%-14s %7s %9s %10s %10s %9s%n", (Object[]) r);
      }
    }
    return 0;
  }

  private static String[] row(String name, Evaluation e) {
    return new String[] {name, String.valueOf(e.synthetic()), String.format("%.4f", e.frechet()),
        String.format("%.4f", e.nearestRealToSynthetic()), String.format("%.4f", e.nearestSyntheticToReal()),
        e.labelTotalVariation() == null ? "-" : String.format("%.4f", e.labelTotalVariation())};
  }

  private static Evaluation score(SparkSession spark, JobConfig cfg, String path, float[][] realVecs, List<String> realLabels) {
    Dataset<Row> syn = spark.read().parquet(path);
    List<String> texts = syn.select("text").as(Encoders.STRING()).collectAsList();
    List<String> labels = realLabels != null && List.of(syn.columns()).contains("label")
        ? syn.select("label").as(Encoders.STRING()).collectAsList() : null;
    if (texts.size() < 2) {
      throw new IllegalArgumentException(path + ": need at least 2 synthetic texts");
    }
    return Evaluation.of(realVecs, ModelCalls.embed(spark, cfg.embedder(), null, texts), realLabels, labels);
  }
}
