package org.dpsynth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.dpsynth.config.FewShotConfig;
import org.dpsynth.data.ContributionBounds;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.fewshot.FewShotPrompts;
import org.dpsynth.fewshot.InContextClassifier;
import org.dpsynth.foundation.Generator;
import org.dpsynth.foundation.Models;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fewshot-eval}: in-context classification accuracy on held-out real examples with the DP
 * demonstrations of each given run, next to zero-shot, public-only (ε = 0) and real (ε = ∞)
 * demonstrations, all with the same generator.
 */
@Command(
    name = "fewshot-eval",
    mixinStandardHelpOptions = true,
    description = {
      "In-context classification accuracy of held-out examples (eval.heldout) with the",
      "demonstrations of each --runs directory, zero-shot, public-only (epsilon 0) and real",
      "private examples (epsilon infinity: a NON-PRIVATE operator baseline; add --no-real to skip)."
    })
public final class FewShotEvalCommand implements Callable<Integer> {
  /** The few-shot config the runs used. */
  @Mixin ConfigOptions config;

  @Option(names = "--runs", arity = "0..*", paramLabel = "DIR", description = "Run directories of `fewshot`.")
  List<Path> runs = new ArrayList<>();

  @Option(names = "--no-real", description = "Skip the non-private real-demonstration baseline.")
  boolean noReal;

  @Override
  public Integer call() throws Exception {
    FewShotConfig cfg = config.load("dpsynth fewshot-eval", FewShotConfig::load);
    var f = cfg.fewshot();
    List<String> labels = cfg.labels().names();
    Generator generator = Models.generator(cfg.generator(), null);
    InContextClassifier clf = new InContextClassifier(generator, f.instruction(), labels);
    List<String[]> tests = readHeldout(Path.of(cfg.eval().heldout()), cfg, cfg.eval().maxTest());
    System.out.printf("in-context classification of %d held-out examples, %d labels (chance %.3f)%n",
        tests.size(), labels.size(), 1.0 / labels.size());
    System.out.printf("%-34s %10s %10s%n", "demonstrations", "epsilon", "accuracy");
    row("zero-shot (none)", "-", clf.accuracy(List.of(), tests));
    List<String[]> pub = InContextClassifier.publicDemonstrations(generator, f.instruction(), labels,
        f.demonstrationsPerLabel(), f.candidates(), f.maxTokens());
    row("public-only", "0", clf.accuracy(pub, tests));
    ObjectMapper json = new ObjectMapper();
    for (Path run : runs) {
      JsonNode manifest = json.readTree(run.resolve("public/manifest.json").toFile());
      JsonNode progress = json.readTree(run.resolve("public/progress.json").toFile());
      List<String[]> demos = new ArrayList<>();
      for (JsonNode d : progress.path("demonstrations")) {
        List<String> toks = new ArrayList<>();
        d.path("tokens").forEach(t -> toks.add(t.asText()));
        demos.add(new String[] {d.get("label").asText(), FewShotPrompts.detokenize(toks)});
      }
      row("DP " + run.getFileName(), String.format("%.3g", manifest.path("privacy").path("epsilon").asDouble()), clf.accuracy(demos, tests));
    }
    if (!noReal) {
      row("real private examples (NON-PRIVATE)", "inf", clf.accuracy(realDemonstrations(cfg), tests));
    }
    return 0;
  }

  private static void row(String name, String eps, double acc) {
    System.out.printf("%-34s %10s %10.3f%n", name, eps, acc);
  }

  /** D real examples per label from the private corpus, by seeded hash (operator-only baseline). */
  private static List<String[]> realDemonstrations(FewShotConfig cfg) {
    SparkSession spark = SparkSessions.getOrCreate("dpsynth fewshot-eval");
    var bounded = ContributionBounds.apply(CorpusReader.read(spark, cfg.input()), cfg.labels().names(), 1, cfg.fewshot().seed());
    var w = org.apache.spark.sql.expressions.Window.partitionBy(ContributionBounds.LABEL_INDEX).orderBy(ContributionBounds.SCORE);
    List<Row> rows = bounded.withColumn("_r", functions.row_number().over(w))
        .filter(functions.col("_r").leq(cfg.fewshot().demonstrationsPerLabel()))
        .select(ContributionBounds.LABEL_INDEX, CorpusReader.TEXT).collectAsList();
    List<String[]> out = new ArrayList<>();
    for (Row r : rows) {
      out.add(new String[] {cfg.labels().names().get(((Number) r.get(0)).intValue()), r.getString(1)});
    }
    return out;
  }

  /** Held-out records as {label, text}; JSON Lines with the configured column names. */
  static List<String[]> readHeldout(Path file, FewShotConfig cfg, int max) throws Exception {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("eval.heldout: file not found: " + file);
    }
    ObjectMapper json = new ObjectMapper();
    List<String[]> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null && out.size() < max) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode o;
        try {
          o = json.readTree(line);
        } catch (Exception e) {
          throw new IllegalArgumentException("eval.heldout " + file + " line " + n + " is not a JSON object");
        }
        JsonNode label = o.get(cfg.input().labelColumn());
        JsonNode text = o.get(cfg.input().textColumn());
        if (label == null || text == null) {
          throw new IllegalArgumentException("eval.heldout " + file + " line " + n + ": missing field '"
              + (label == null ? cfg.input().labelColumn() : cfg.input().textColumn()) + "'");
        }
        out.add(new String[] {label.asText(), text.asText()});
      }
    }
    return out;
  }
}
