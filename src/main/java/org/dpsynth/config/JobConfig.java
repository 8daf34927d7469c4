package org.dpsynth.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Private Evolution's job configuration, bound from YAML or JSON (keys in snake_case), and the
 * settings records every method's configuration is made of: {@link Input}, {@link Labels}, {@link
 * Privacy}, {@link Embedder}, {@link Generator}, {@link Output} and {@link Budget} each check their
 * own keys ({@code validate(Errors)}, dotted key in every message) and modes are enums. Defaults
 * live in the classpath resource {@code dpsynth/defaults.yaml}; a user file and {@code --set}
 * overrides are merged on top of them by {@link ConfigLoader}, so every field is present after
 * loading.
 */
public record JobConfig(
    Input input,
    Labels labels,
    Privacy privacy,
    Pe pe,
    Embedder embedder,
    Generator generator,
    Output output,
    Budget budget) implements MethodConfig, Serializable {

  /** Formats a reader accepts ({@code auto}: from the file name). */
  private static final List<String> FORMATS = List.of("auto", "parquet", "jsonl", "json", "csv");
  /** The input format of a directory of image files. */
  private static final String IMAGE_FOLDER = "image-folder";

  /** Where the private corpus is and how to read it. */
  public record Input(
      String path,
      String format,
      String userColumn,
      String textColumn,
      String labelColumn,
      int maxRecordsPerUser,
      String dataset,
      Modality modality,
      String imageColumn,
      int imageWidth,
      int imageHeight) implements Serializable {

    /** What a record's payload is: text, or an image (PNG bytes in {@code image_column}). */
    public enum Modality { TEXT, IMAGE }

    /** True when records are images ({@code input.modality: image}): PNG bytes in {@code image_column}. */
    public boolean images() {
      return modality == Modality.IMAGE;
    }

    /** The column of each record's payload: the text column, or the image column for images. */
    public String payloadColumn() {
      return images() ? imageColumn : textColumn;
    }

    /** True for {@code input.format: image-folder}: a directory of image files (see docs/images.md for its layout). */
    public boolean imageFolder() {
      return IMAGE_FOLDER.equalsIgnoreCase(format);
    }

    /** Checks of the modality keys; methods that read text only pass {@code imagesAllowed = false}. */
    public void validateModality(Errors e, boolean imagesAllowed) {
      e.require(modality == Modality.TEXT || imagesAllowed && modality == Modality.IMAGE, "input.modality",
          imagesAllowed ? "'text' or 'image'" : "'text' (images are supported by pe only)");
      if (images()) {
        e.requireText(imageColumn, "input.image_column", "a column name");
        e.require(imageWidth >= 1 && imageHeight >= 1, "input.image_width/input.image_height", "integers >= 1 (pixels)");
      } else {
        e.require(!imageFolder(), "input.format", "parquet, jsonl or csv unless input.modality is image (image-folder holds images)");
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

    public void validate(Errors e) {
      e.requireText(path, "input.path", "a file or directory path");
      e.require(FORMATS.contains(format == null ? "" : format.toLowerCase(Locale.ROOT)) || imageFolder(), "input.format",
          "one of auto, parquet, jsonl, csv, image-folder");
      e.requireText(textColumn, "input.text_column", "a column name");
      e.require(maxRecordsPerUser >= 1, "input.max_records_per_user", "an integer >= 1");
    }
  }

  /**
   * The label set is public configuration. Proportions are either public ({@code public}, from
   * {@code weights} or uniform) or released with DP ({@code dp}) and charged to the budget; a DP
   * release counts {@code records} per label (the default) or {@code users}, each user's count
   * vector clipped to {@code clip} (0: the label release's record cap) — see {@code run.LabelShares}.
   * {@code maxRecordsPerUser} is that release's own record cap: {@code 0} (the default) for {@code
   * input.max_records_per_user}, an integer {@code >= 1}, or {@code auto} (a rule on public
   * quantities only, {@code run.LabelShares#autoRecordCap}). {@code budgetShare} (PE only) is the
   * share of the run's privacy budget (of μ² in Gaussian DP) that the label release takes; 0 (the
   * default) gives it the same noise multiplier as each vote release ({@code pe.PrivacyPlan}).
   */
  public record Labels(List<String> names, Proportions proportions, Map<String, Double> weights, Shares shares, double clip,
      String maxRecordsPerUser, double budgetShare) implements Serializable {
    /** The value of {@code labels.max_records_per_user} that asks for the public rule. */
    public static final String AUTO_CAP = "auto";

    /** What {@code labels.max_records_per_user} must be, for error messages. */
    public static final String CAP_FORM = "an integer >= 1, 0 (= input.max_records_per_user, the default) or 'auto' "
        + "(the largest cap whose label-count noise stddev is at most 5% of privacy.min_users)";

    /** Where the label proportions come from. */
    public enum Proportions { PUBLIC, DP }

    /** What a DP label release counts per label. */
    public enum Shares { RECORDS, USERS }

    /** True when {@code labels.max_records_per_user} is {@code auto}. */
    public boolean autoRecordCap() {
      return maxRecordsPerUser != null && AUTO_CAP.equals(maxRecordsPerUser.trim().toLowerCase(Locale.ROOT));
    }

    /**
     * The fixed record cap of the label release: {@code n >= 1}, or 0 for {@code
     * input.max_records_per_user}; -1 for {@code auto}; null when the value is not valid.
     */
    public Integer fixedRecordCap() {
      if (maxRecordsPerUser == null) {
        return null;
      }
      if (autoRecordCap()) {
        return -1;
      }
      String v = maxRecordsPerUser.trim();
      if (!v.matches("\\d{1,9}")) {
        return null;
      }
      return Integer.parseInt(v);
    }

    public boolean dpProportions() {
      return proportions == Proportions.DP;
    }

    /** True when the DP release counts users per label rather than records. */
    public boolean users() {
      return shares == Shares.USERS;
    }

    /** Checks the label keys; {@code names} is needed only when the input has a label column. */
    public void validate(Errors e, Input input) {
      e.require(names != null && !names.isEmpty() || !input.hasLabels(), "labels.names",
          "the public list of labels (needed when input.label_column is set)");
      e.require(proportions != null, "labels.proportions", Modes.oneOf(Proportions.class));
      e.require(shares != null, "labels.shares", Modes.oneOf(Shares.class));
      e.require(clip >= 0 && Double.isFinite(clip), "labels.clip",
          "a number >= 0 (the L2 bound of one user's label-count vector; 0 means labels.max_records_per_user)");
      e.require(fixedRecordCap() != null, "labels.max_records_per_user", CAP_FORM);
      e.require(budgetShare >= 0 && budgetShare < 1, "labels.budget_share",
          "a number in [0, 1): the label release's share of the privacy budget (0 = the same noise as each vote release)");
      e.require(budgetShare == 0 || dpProportions(), "labels.budget_share", "0 unless labels.proportions is dp");
      if (weights != null) {
        weights.forEach((label, w) -> {
          e.require(names != null && names.contains(label), "labels.weights." + label, "a label listed in labels.names");
          e.require(w != null && w >= 0, "labels.weights." + label, "a weight >= 0");
        });
      }
    }
  }

  /**
   * Target (epsilon, delta), or a given noise multiplier {@code sigma} (then epsilon is reported),
   * the L2 clip {@code clip} of each user's contribution, the noise source spec, and {@code
   * minUsers}, a public lower bound on the number of users that delta is checked against (delta
   * must be below 1/minUsers; the exact count is private and is never compared with delta).
   */
  public record Privacy(Double epsilon, double delta, Double sigma, double clip, String noise, long minUsers)
      implements PrivacyTarget, Serializable {

    /** Checks {@code privacy.clip}; {@code what} says what it bounds in this method. */
    public void validateClip(Errors e, String what) {
      e.require(clip > 0 && Double.isFinite(clip), "privacy.clip", "a finite number > 0 (" + what + ")");
    }
  }

  /** Private Evolution parameters (Lin et al. 2024; Xie et al. 2024). */
  public record Pe(
      int iterations,
      int populationSize,
      List<Integer> populationSchedule,
      int k,
      Distance distance,
      double threshold,
      SelectionMethod selection,
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

    /** The embedding distance votes use. */
    public enum Distance { COSINE, L2 }

    /** How the next population's parents are chosen from the noisy histogram. */
    public enum SelectionMethod { SAMPLE, RANK }

    /** Variation degree used to produce the population of iteration t (t ≥ 1). */
    public double degreeAt(int t) {
      return variationDegrees.get(Math.min(t - 1, variationDegrees.size() - 1));
    }

    public void validate(Errors e) {
      e.require(iterations >= 0, "pe.iterations", "an integer >= 0");
      e.require(populationSize >= 1, "pe.population_size", "an integer >= 1");
      if (populationSchedule != null) {
        e.require(populationSchedule.stream().allMatch(n -> n != null && n >= 1), "pe.population_schedule", "a list of integers >= 1");
      }
      e.require(k >= 1, "pe.k", "an integer >= 1");
      e.require(distance != null, "pe.distance", Modes.oneOf(Distance.class));
      e.require(threshold >= 0, "pe.threshold", "a number >= 0 (in units of the noise standard deviation)");
      e.require(selection != null, "pe.selection", Modes.oneOf(SelectionMethod.class));
      e.require(variationDegrees != null && !variationDegrees.isEmpty() && variationDegrees.stream().allMatch(d -> d != null && d >= 0 && d <= 1),
          "pe.variation_degrees", "a non-empty list of numbers in [0, 1]");
      e.require(fold >= 1, "pe.fold", "an integer >= 1");
      e.require(lookahead >= 0, "pe.lookahead", "an integer >= 0");
    }
  }

  /** Where a model runs: the embedded one or an OpenAI-compatible HTTP endpoint. */
  public enum ModelType {
    MINILM, LOCAL, OPENAI,
    /** The embedded image embedder (fixed seeded random convolutional features). */
    @JsonProperty("random-conv") RANDOM_CONV,
    /** The embedded image generator (public images, simulated variations). */
    @JsonProperty("image-sim") IMAGE_SIM,
    /** A user-supplied ONNX image model ({@code embedder.model_path}) run in process. */
    @JsonProperty("onnx-image") ONNX_IMAGE;

    /** True for the embedders that take image payloads. */
    public boolean imageEmbedder() {
      return this == RANDOM_CONV || this == ONNX_IMAGE;
    }
  }

  /**
   * Which embedding model votes run in ({@code minilm}, {@code openai}, or for images {@code
   * random-conv} or {@code onnx-image}). The {@code onnx-image} keys ({@code modelPath} to {@code
   * pooling}) say which model file to run and how a gray image becomes its input tensor (see
   * docs/images.md).
   */
  public record Embedder(
      ModelType type,
      int threads,
      int batchSize,
      String baseUrl,
      String model,
      String apiKeyEnv,
      int maxConcurrency,
      int maxAttempts,
      double timeoutSeconds,
      boolean quantized,
      String modelPath,
      int imageWidth,
      int imageHeight,
      int channels,
      List<Double> mean,
      List<Double> std,
      Layout layout,
      String output,
      Pooling pooling) implements Serializable {

    /** Axis order of an {@code onnx-image} model's 4-D input. */
    public enum Layout { NCHW, NHWC }

    /** How an {@code onnx-image} output of more than two axes becomes one vector per image. */
    public enum Pooling {
      /** {@code [N, C, ...]}: the mean over every axis after C (a convolutional feature map). */
      @JsonProperty("spatial-mean") SPATIAL_MEAN,
      /** {@code [N, T, D]}: the mean over the T tokens. */
      @JsonProperty("token-mean") TOKEN_MEAN,
      /** {@code [N, T, D]}: token 0 (a ViT's class token). */
      @JsonProperty("first-token") FIRST_TOKEN
    }

    public void validate(Errors e) {
      e.require(type == ModelType.MINILM || type == ModelType.OPENAI || type != null && type.imageEmbedder(), "embedder.type",
          "'minilm', 'openai', 'random-conv' or 'onnx-image'");
      e.require(threads >= 1, "embedder.threads", "an integer >= 1");
      e.require(batchSize >= 1, "embedder.batch_size", "an integer >= 1");
      Endpoint.validate(e, "embedder", type, baseUrl, model, maxConcurrency, maxAttempts, timeoutSeconds);
      if (type != ModelType.ONNX_IMAGE) {
        return;
      }
      e.requireText(modelPath, "embedder.model_path", "the path of the ONNX image model (a Hadoop URI or local path)");
      e.require(imageWidth >= 0 && imageHeight >= 0, "embedder.image_width/embedder.image_height",
          "integers >= 0 (pixels; 0 = the model's input size)");
      e.require(channels == 1 || channels == 3, "embedder.channels", "1 (gray) or 3 (gray copied to R, G and B)");
      String perChannel = channels + " number(s), one per channel (embedder.channels)";
      e.require(mean != null && mean.size() == channels && mean.stream().allMatch(m -> m != null && Double.isFinite(m)),
          "embedder.mean", perChannel);
      e.require(std != null && std.size() == channels && std.stream().allMatch(v -> v != null && v > 0 && Double.isFinite(v)),
          "embedder.std", perChannel + " > 0");
      e.require(layout != null, "embedder.layout", Modes.oneOf(Layout.class));
      e.require(output != null, "embedder.output", "an output name of the model, or \"\" for its first output");
      e.require(pooling != null, "embedder.pooling", Modes.oneOf(Pooling.class));
    }
  }

  /**
   * Which generator ({@code local} or {@code openai}) produces and varies synthetic samples. For
   * {@code type: local}, {@code publicCorpus} (with its format and column names, in the style of
   * {@code input.*}) is the public text the embedded model learns from instead of the built-in
   * corpus, and {@code mode} says whether it writes every sample ({@code ngram}) or also hands out
   * copies of public records ({@code public}: the random API draws public records, and a {@code
   * publicShare} of variations are public near neighbours of the parent, within the {@code
   * publicNeighbours} nearest at degree 1).
   */
  public record Generator(
      ModelType type,
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
      Mode mode,
      String publicCorpus,
      String publicFormat,
      String publicTextColumn,
      String publicLabelColumn,
      double publicShare,
      int publicNeighbours,
      String publicImageColumn,
      ImageApi imageApi,
      String imageSize,
      String imagePrompt,
      LogprobsApi logprobsApi,
      int maxTopLogprobs) implements Serializable {

    /** openai: the endpoint of next-token log-probabilities (few-shot): legacy completions or chat. */
    public enum LogprobsApi { COMPLETIONS, CHAT }

    /** What the embedded generator writes: every sample ({@code ngram}) or also public copies. */
    public enum Mode { NGRAM, PUBLIC }

    /** openai with images: the endpoint of the variation API ({@code /images/edits} or {@code /images/variations}). */
    public enum ImageApi { EDITS, VARIATIONS }

    /** The same settings with another prompt templates directory. */
    public Generator withPromptTemplatesDir(String dir) {
      return new Generator(type, baseUrl, model, apiKeyEnv, temperature, maxTokens, keywords, dir, maxConcurrency, maxAttempts,
          timeoutSeconds, mode, publicCorpus, publicFormat, publicTextColumn, publicLabelColumn, publicShare, publicNeighbours,
          publicImageColumn, imageApi, imageSize, imagePrompt, logprobsApi, maxTopLogprobs);
    }

    /** True when the embedded generator learns from a user-given public corpus, not the built-in one. */
    public boolean hasPublicCorpus() {
      return publicCorpus != null && !publicCorpus.isBlank();
    }

    /** True when the user's public corpus has a label column. */
    public boolean publicCorpusLabelled() {
      return publicLabelColumn != null && !publicLabelColumn.isBlank();
    }

    /** Checks the generator keys; shared by every job config that has a generator. */
    public void validate(Errors e) {
      e.require(type == ModelType.LOCAL || type == ModelType.OPENAI || type == ModelType.IMAGE_SIM, "generator.type",
          "'local', 'openai' or 'image-sim'");
      e.require(temperature >= 0 && temperature <= 2, "generator.temperature", "a number in [0, 2]");
      e.require(maxTokens >= 1, "generator.max_tokens", "an integer >= 1");
      Endpoint.validate(e, "generator", type, baseUrl, model, maxConcurrency, maxAttempts, timeoutSeconds);
      e.require(mode != null, "generator.mode", "'ngram' (the embedded model writes every sample) or 'public' (it also copies public records)");
      e.require(FORMATS.contains(publicFormat == null ? "" : publicFormat.toLowerCase(Locale.ROOT)), "generator.public_format", "one of auto, parquet, jsonl, csv");
      e.requireText(publicTextColumn, "generator.public_text_column", "a column name");
      e.require(publicShare >= 0 && publicShare <= 1, "generator.public_share", "a number in [0, 1]");
      e.require(publicNeighbours >= 1, "generator.public_neighbours", "an integer >= 1");
      if (mode == Mode.PUBLIC) {
        e.require(type == ModelType.LOCAL, "generator.mode", "'ngram' when generator.type is openai (public mode is a mode of the embedded generator)");
      }
      if (hasPublicCorpus()) {
        e.require(type != ModelType.OPENAI, "generator.public_corpus", "no path when generator.type is openai (only the embedded generators learn from it)");
      }
      e.require(imageApi != null, "generator.image_api", "'edits' or 'variations'");
      e.require(imageSize != null && imageSize.strip().toLowerCase(Locale.ROOT).matches("auto|[1-9][0-9]{0,4}x[1-9][0-9]{0,4}"),
          "generator.image_size", "'auto' or WIDTHxHEIGHT such as 512x512");
      e.requireText(imagePrompt, "generator.image_prompt", "a prompt (with {label} for the label)");
      e.require(logprobsApi != null, "generator.logprobs_api", Modes.oneOf(LogprobsApi.class));
      e.require(maxTopLogprobs >= 1, "generator.max_top_logprobs", "an integer >= 1 (the server's cap on top log-probabilities per request)");
      if (type == ModelType.IMAGE_SIM) {
        e.require(hasPublicCorpus(), "generator.public_corpus", "the public images of the image-sim generator (Parquet or JSON Lines)");
        e.requireText(publicImageColumn, "generator.public_image_column", "a column name");
      }
    }
  }

  /** The endpoint keys the embedder and the generator share. */
  private static final class Endpoint {
    static void validate(Errors e, String section, ModelType type, String baseUrl, String model, int maxConcurrency, int maxAttempts,
        double timeoutSeconds) {
      e.require(maxConcurrency >= 1, section + ".max_concurrency", "an integer >= 1");
      e.require(maxAttempts >= 1, section + ".max_attempts", "an integer >= 1");
      e.require(timeoutSeconds > 0, section + ".timeout_seconds", "a number > 0");
      if (type == ModelType.OPENAI) {
        e.require(baseUrl != null && baseUrl.matches("https?://.+"), section + ".base_url", "an http(s) URL such as http://127.0.0.1:8000/v1");
        e.requireText(model, section + ".model", "a model name");
      }
    }
  }

  /** Where the run directory goes, and whether synthetic images are also written as PNG files per label. */
  public record Output(String dir, boolean imageFolder) implements Serializable {
    public void validate(Errors e, Input input) {
      e.requireText(dir, "output.dir", "a directory path");
      e.require(!imageFolder || input.images(), "output.image_folder", "false unless input.modality is image");
    }
  }

  /**
   * A cap on the epsilon spent on one dataset across runs and methods (0 = no cap), and where the
   * dataset's ledger is: blank for {@code privacy-ledgers/<dataset>} beside the run directory, a
   * path (local or {@code hdfs://}), or a JDBC URL ({@code jdbc:postgresql://…}) with {@code
   * ledgerUser} and the name of the environment variable holding its password.
   */
  public record Budget(double totalEpsilon, String ledger, String ledgerUser, String ledgerPasswordEnv) implements Serializable {
    /** Checks the budget keys; messages name the dotted key. */
    public void validate(Errors e) {
      e.require(totalEpsilon >= 0 && Double.isFinite(totalEpsilon), "budget.total_epsilon", "a number >= 0 (0 means no cap)");
      e.require(ledgerPasswordEnv == null || ledgerPasswordEnv.isBlank() || ledgerPasswordEnv.matches("[A-Za-z_][A-Za-z0-9_]*"),
          "budget.ledger_password_env", "the NAME of an environment variable (the password itself never goes in a config)");
    }
  }

  /** The checks of the sections every method on labelled private records has; {@code clipBounds}: what privacy.clip bounds. */
  static Errors privateRecords(Input input, Labels labels, Privacy privacy, String clipBounds) {
    Errors errors = new Errors();
    input.validate(errors);
    labels.validate(errors, input);
    privacy.validate(errors);
    privacy.validateClip(errors, clipBounds);
    return errors;
  }

  /** Checks values that binding alone cannot; every message names the key and expected form. */
  public JobConfig validate() {
    Errors errors = privateRecords(input, labels, privacy, "the L2 bound of one user's vote vector");
    input.validateModality(errors, true);
    boolean imageModels = embedder.type() != null && embedder.type().imageEmbedder() || generator.type() == ModelType.IMAGE_SIM;
    if (input.images()) {
      errors.require(embedder.type() != null && embedder.type().imageEmbedder(), "embedder.type",
          "'random-conv' or 'onnx-image' (the image embedders) when input.modality is image");
      errors.require(generator.type() == ModelType.IMAGE_SIM || generator.type() == ModelType.OPENAI, "generator.type",
          "'image-sim' (the embedded image generator) or 'openai' (an images API) when input.modality is image");
    } else if (imageModels) {
      errors.add("input.modality: expected 'image' when embedder.type is random-conv or onnx-image, or generator.type is image-sim");
    }
    pe.validate(errors);
    embedder.validate(errors);
    generator.validate(errors);
    output.validate(errors, input);
    budget.validate(errors);
    errors.throwIfAny();
    return this;
  }
}
