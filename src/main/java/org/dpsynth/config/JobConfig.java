package org.dpsynth.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A whole job configuration, bound from YAML or JSON (keys in snake_case). Defaults live in the
 * classpath resource {@code dpsynth/defaults.yaml}; a user file and {@code --set} overrides are
 * merged on top of them by {@link ConfigLoader}, so every field here is present after loading.
 */
public record JobConfig(
    Input input,
    Labels labels,
    Privacy privacy,
    Pe pe,
    Embedder embedder,
    Generator generator,
    Output output,
    Budget budget) implements Serializable {

  /** Where the private corpus is and how to read it. */
  public record Input(
      String path,
      String format,
      String userColumn,
      String textColumn,
      String labelColumn,
      int maxRecordsPerUser,
      String dataset,
      String modality,
      String imageColumn,
      int imageWidth,
      int imageHeight) implements Serializable {

    /** True when records are images ({@code input.modality: image}): PNG bytes in {@code image_column}. */
    public boolean images() {
      return "image".equals(modality);
    }

    /** The column of each record's payload: the text column, or the image column for images. */
    public String payloadColumn() {
      return images() ? imageColumn : textColumn;
    }

    /** Checks of the modality keys; methods that read text only ask for {@code text}. */
    public void validateModality(List<String> errors, boolean imagesAllowed) {
      require(errors, imagesAllowed ? List.of("text", "image").contains(modality) : "text".equals(modality), "input.modality",
          imagesAllowed ? "'text' or 'image'" : "'text' (images are supported by pe only)");
      if (images()) {
        require(errors, imageColumn != null && !imageColumn.isBlank(), "input.image_column", "a column name");
        require(errors, imageWidth >= 1 && imageHeight >= 1, "input.image_width/input.image_height", "integers >= 1 (pixels)");
      }
    }

    /** True when records carry labels; with no label column every record gets label {@code all}. */
    public boolean hasLabels() {
      return labelColumn != null && !labelColumn.isBlank();
    }

    public boolean hasUsers() {
      return userColumn != null && !userColumn.isBlank();
    }

    /** The name under which this corpus's privacy budget is kept in the ledger. */
    public String datasetName() {
      return dataset == null || dataset.isBlank() ? path : dataset;
    }
  }

  /**
   * The label set is public configuration. Proportions are either public ({@code public}, from
   * {@code weights} or uniform) or released with DP ({@code dp}) and charged to the budget; a DP
   * release counts {@code records} per label (the default) or {@code users}, each user's count
   * vector clipped to {@code clip} (0: the record cap) — see {@code run.LabelShares}.
   */
  public record Labels(List<String> names, String proportions, Map<String, Double> weights, String shares, double clip)
      implements Serializable {
    public boolean dpProportions() {
      return "dp".equals(proportions);
    }

    /** True when the DP release counts users per label rather than records. */
    public boolean users() {
      return "users".equals(shares);
    }
  }

  /**
   * Target (epsilon, delta), or a given noise multiplier {@code sigma} (then epsilon is reported),
   * the L2 clip {@code clip} of each user's contribution, the noise source spec, and {@code
   * minUsers}, a public lower bound on the number of users that delta is checked against (delta
   * must be below 1/minUsers; the exact count is private and is never compared with delta).
   */
  public record Privacy(Double epsilon, double delta, Double sigma, double clip, String noise, long minUsers) implements Serializable {}

  /** Private Evolution parameters (Lin et al. 2024; Xie et al. 2024). */
  public record Pe(
      int iterations,
      int populationSize,
      List<Integer> populationSchedule,
      int k,
      String distance,
      double threshold,
      String selection,
      List<Double> variationDegrees,
      int fold,
      boolean keepSelected,
      int lookahead,
      long seed) implements Serializable {

    /** Population size at iteration t (0 = initial population). */
    public int populationAt(int t) {
      if (populationSchedule == null || populationSchedule.isEmpty()) {
        return populationSize;
      }
      return populationSchedule.get(Math.min(t, populationSchedule.size() - 1));
    }

    /** Variation degree used to produce the population of iteration t (t ≥ 1). */
    public double degreeAt(int t) {
      return variationDegrees.get(Math.min(t - 1, variationDegrees.size() - 1));
    }
  }

  /** Which embedding model votes run in. */
  public record Embedder(
      String type,
      int threads,
      int batchSize,
      String baseUrl,
      String model,
      String apiKeyEnv,
      int maxConcurrency,
      int maxAttempts,
      double timeoutSeconds,
      boolean quantized) implements Serializable {}

  /**
   * Which generator produces and varies synthetic samples. For {@code type: local}, {@code
   * publicCorpus} (with its format and column names, in the style of {@code input.*}) is the public
   * text the embedded model learns from instead of the built-in corpus, and {@code mode} says
   * whether it writes every sample ({@code ngram}) or also hands out copies of public records
   * ({@code public}: the random API draws public records, and a {@code publicShare} of variations
   * are public near neighbours of the parent, within the {@code publicNeighbours} nearest at degree 1).
   */
  public record Generator(
      String type,
      String baseUrl,
      String model,
      String apiKeyEnv,
      double temperature,
      int maxTokens,
      Map<String, List<String>> keywords,
      String promptTemplatesDir,
      int maxConcurrency,
      int maxAttempts,
      double timeoutSeconds,
      String mode,
      String publicCorpus,
      String publicFormat,
      String publicTextColumn,
      String publicLabelColumn,
      double publicShare,
      int publicNeighbours,
      String publicImageColumn) implements Serializable {

    /** The same settings with another prompt templates directory. */
    public Generator withPromptTemplatesDir(String dir) {
      return new Generator(type, baseUrl, model, apiKeyEnv, temperature, maxTokens, keywords, dir, maxConcurrency, maxAttempts,
          timeoutSeconds, mode, publicCorpus, publicFormat, publicTextColumn, publicLabelColumn, publicShare, publicNeighbours,
          publicImageColumn);
    }

    /** True when the embedded generator learns from a user-given public corpus, not the built-in one. */
    public boolean hasPublicCorpus() {
      return publicCorpus != null && !publicCorpus.isBlank();
    }

    /** True when the user's public corpus has a label column. */
    public boolean publicCorpusLabelled() {
      return publicLabelColumn != null && !publicLabelColumn.isBlank();
    }

    /** The checks of the generator keys; shared by every job config that has a generator. */
    public List<String> errors() {
      List<String> errors = new ArrayList<>();
      require(errors, List.of("local", "openai", "image-sim").contains(type), "generator.type", "'local', 'openai' or 'image-sim'");
      require(errors, maxConcurrency >= 1, "generator.max_concurrency", "an integer >= 1");
      require(errors, maxAttempts >= 1, "generator.max_attempts", "an integer >= 1");
      require(errors, timeoutSeconds > 0, "generator.timeout_seconds", "a number > 0");
      require(errors, temperature >= 0 && temperature <= 2, "generator.temperature", "a number in [0, 2]");
      require(errors, maxTokens >= 1, "generator.max_tokens", "an integer >= 1");
      if ("openai".equals(type)) {
        require(errors, baseUrl != null && baseUrl.matches("https?://.+"), "generator.base_url", "an http(s) URL such as http://127.0.0.1:8000/v1");
        require(errors, model != null && !model.isBlank(), "generator.model", "a model name");
      }
      require(errors, List.of("ngram", "public").contains(mode), "generator.mode", "'ngram' (the embedded model writes every sample) or 'public' (it also copies public records)");
      String fmt = publicFormat == null ? "" : publicFormat.toLowerCase(Locale.ROOT);
      require(errors, List.of("auto", "parquet", "jsonl", "json", "csv").contains(fmt), "generator.public_format", "one of auto, parquet, jsonl, csv");
      require(errors, publicTextColumn != null && !publicTextColumn.isBlank(), "generator.public_text_column", "a column name");
      require(errors, publicShare >= 0 && publicShare <= 1, "generator.public_share", "a number in [0, 1]");
      require(errors, publicNeighbours >= 1, "generator.public_neighbours", "an integer >= 1");
      if ("public".equals(mode)) {
        require(errors, "local".equals(type), "generator.mode", "'ngram' when generator.type is openai (public mode is a mode of the embedded generator)");
      }
      if (hasPublicCorpus()) {
        require(errors, !"openai".equals(type), "generator.public_corpus", "no path when generator.type is openai (only the embedded generators learn from it)");
      }
      if ("image-sim".equals(type)) {
        require(errors, hasPublicCorpus(), "generator.public_corpus", "the public images of the image-sim generator (Parquet or JSON Lines)");
        require(errors, publicImageColumn != null && !publicImageColumn.isBlank(), "generator.public_image_column", "a column name");
      }
      return errors;
    }
  }

  /** Where the run directory goes. */
  public record Output(String dir) implements Serializable {}

  /**
   * A cap on the epsilon spent on one dataset across runs and methods (0 = no cap), and where the
   * dataset's ledger is: blank for {@code privacy-ledgers/<dataset>} beside the run directory, a
   * path (local or {@code hdfs://}), or a JDBC URL ({@code jdbc:postgresql://…}) with {@code
   * ledgerUser} and the name of the environment variable holding its password.
   */
  public record Budget(double totalEpsilon, String ledger, String ledgerUser, String ledgerPasswordEnv) implements Serializable {
    /** Checks the budget keys; messages name the dotted key. */
    public void validate(List<String> errors) {
      require(errors, totalEpsilon >= 0 && Double.isFinite(totalEpsilon), "budget.total_epsilon", "a number >= 0 (0 means no cap)");
      require(errors, ledgerPasswordEnv == null || ledgerPasswordEnv.isBlank() || ledgerPasswordEnv.matches("[A-Za-z_][A-Za-z0-9_]*"),
          "budget.ledger_password_env", "the NAME of an environment variable (the password itself never goes in a config)");
    }
  }

  /** Checks values that binding alone cannot; every message names the key and expected form. */
  public JobConfig validate() {
    List<String> errors = new ArrayList<>();
    require(errors, input.path() != null && !input.path().isBlank(), "input.path", "a file or directory path");
    String fmt = input.format() == null ? "" : input.format().toLowerCase(Locale.ROOT);
    require(errors, List.of("auto", "parquet", "jsonl", "json", "csv").contains(fmt), "input.format", "one of auto, parquet, jsonl, csv");
    require(errors, input.textColumn() != null && !input.textColumn().isBlank(), "input.text_column", "a column name");
    require(errors, input.maxRecordsPerUser() >= 1, "input.max_records_per_user", "an integer >= 1");
    input.validateModality(errors, true);
    boolean imageModels = "random-conv".equals(embedder.type()) || "image-sim".equals(generator.type());
    if (input.images()) {
      require(errors, "random-conv".equals(embedder.type()), "embedder.type", "'random-conv' (the image embedder) when input.modality is image");
      require(errors, "image-sim".equals(generator.type()), "generator.type", "'image-sim' (the image generator) when input.modality is image");
    } else if (imageModels) {
      require(errors, false, "input.modality", "'image' when embedder.type is random-conv or generator.type is image-sim");
    }
    if (privacy.epsilon() == null && privacy.sigma() == null) {
      errors.add("privacy.epsilon: give a target epsilon > 0 (or privacy.sigma to report epsilon)");
    }
    if (privacy.epsilon() != null) {
      require(errors, privacy.epsilon() > 0 && Double.isFinite(privacy.epsilon()), "privacy.epsilon", "a finite number > 0");
    }
    if (privacy.sigma() != null) {
      require(errors, privacy.sigma() > 0 && Double.isFinite(privacy.sigma()), "privacy.sigma", "a finite noise multiplier > 0");
    }
    require(errors, privacy.delta() > 0 && privacy.delta() < 1, "privacy.delta", "a number in (0, 1)");
    require(errors, privacy.minUsers() >= 1, "privacy.min_users", "an integer >= 1 (a public lower bound on the number of users)");
    if (privacy.minUsers() >= 1 && privacy.delta() > 0 && privacy.delta() < 1) {
      require(errors, privacy.delta() * privacy.minUsers() < 1, "privacy.delta",
          "a number below 1/privacy.min_users = " + (1.0 / privacy.minUsers()) + " (delta >= 1/n allows releasing one user's records outright)");
    }
    require(errors, privacy.clip() > 0 && Double.isFinite(privacy.clip()), "privacy.clip", "a finite number > 0");
    require(errors, privacy.noise() != null && (privacy.noise().equals("secure") || privacy.noise().matches("seeded:-?\\d+")),
        "privacy.noise", "'secure', or 'seeded:<integer>' for tests only");
    require(errors, labels.names() != null && !labels.names().isEmpty() || !input.hasLabels(), "labels.names",
        "the public list of labels (needed when input.label_column is set)");
    require(errors, List.of("public", "dp").contains(labels.proportions()), "labels.proportions", "'public' or 'dp'");
    require(errors, List.of("records", "users").contains(labels.shares()), "labels.shares", "'records' or 'users'");
    require(errors, labels.clip() >= 0 && Double.isFinite(labels.clip()), "labels.clip",
        "a number >= 0 (the L2 bound of one user's label-count vector; 0 means input.max_records_per_user)");
    if (labels.weights() != null) {
      for (Map.Entry<String, Double> w : labels.weights().entrySet()) {
        require(errors, labels.names() != null && labels.names().contains(w.getKey()), "labels.weights." + w.getKey(), "a label listed in labels.names");
        require(errors, w.getValue() != null && w.getValue() >= 0, "labels.weights." + w.getKey(), "a weight >= 0");
      }
    }
    require(errors, pe.iterations() >= 0, "pe.iterations", "an integer >= 0");
    require(errors, pe.populationSize() >= 1, "pe.population_size", "an integer >= 1");
    if (pe.populationSchedule() != null) {
      for (Integer n : pe.populationSchedule()) {
        require(errors, n != null && n >= 1, "pe.population_schedule", "a list of integers >= 1");
      }
    }
    require(errors, pe.k() >= 1, "pe.k", "an integer >= 1");
    require(errors, List.of("cosine", "l2").contains(pe.distance()), "pe.distance", "'cosine' or 'l2'");
    require(errors, pe.threshold() >= 0, "pe.threshold", "a number >= 0 (in units of the noise standard deviation)");
    require(errors, List.of("sample", "rank").contains(pe.selection()), "pe.selection", "'sample' or 'rank'");
    require(errors, pe.variationDegrees() != null && !pe.variationDegrees().isEmpty(), "pe.variation_degrees", "a non-empty list of numbers in [0, 1]");
    if (pe.variationDegrees() != null) {
      for (Double d : pe.variationDegrees()) {
        require(errors, d != null && d >= 0 && d <= 1, "pe.variation_degrees", "a non-empty list of numbers in [0, 1]");
      }
    }
    require(errors, pe.fold() >= 1, "pe.fold", "an integer >= 1");
    require(errors, pe.lookahead() >= 0, "pe.lookahead", "an integer >= 0");
    require(errors, List.of("minilm", "openai", "random-conv").contains(embedder.type()), "embedder.type", "'minilm', 'openai' or 'random-conv'");
    require(errors, embedder.threads() >= 1, "embedder.threads", "an integer >= 1");
    require(errors, embedder.batchSize() >= 1, "embedder.batch_size", "an integer >= 1");
    if ("openai".equals(embedder.type())) {
      require(errors, embedder.baseUrl() != null && embedder.baseUrl().matches("https?://.+"), "embedder.base_url", "an http(s) URL such as http://127.0.0.1:8000/v1");
      require(errors, embedder.model() != null && !embedder.model().isBlank(), "embedder.model", "a model name");
    }
    require(errors, embedder.maxConcurrency() >= 1, "embedder.max_concurrency", "an integer >= 1");
    require(errors, embedder.maxAttempts() >= 1, "embedder.max_attempts", "an integer >= 1");
    require(errors, embedder.timeoutSeconds() > 0, "embedder.timeout_seconds", "a number > 0");
    errors.addAll(generator.errors());
    require(errors, output.dir() != null && !output.dir().isBlank(), "output.dir", "a directory path");
    budget.validate(errors);
    if (!errors.isEmpty()) {
      throw new ConfigException("Invalid configuration:\n  " + String.join("\n  ", errors));
    }
    return this;
  }

  private static void require(List<String> errors, boolean ok, String key, String expected) {
    if (!ok) {
      errors.add(key + ": expected " + expected);
    }
  }
}
