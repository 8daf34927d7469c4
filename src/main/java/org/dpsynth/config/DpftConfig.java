package org.dpsynth.config;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Configuration of DP fine-tuning (Yue et al., ACL 2023): pretrain a small language model on the
 * public corpus, fine-tune it with user-level DP-SGD on the private corpus, then sample. Defaults
 * live in {@code dpsynth/dpft-defaults.yaml}; load with {@link #load}.
 */
public record DpftConfig(
    JobConfig.Input input,
    JobConfig.Labels labels,
    JobConfig.Privacy privacy,
    Model model,
    Pretrain pretrain,
    Training dpft,
    Generation generation,
    JobConfig.Output output,
    JobConfig.Budget budget) implements Serializable {

  public static final String DEFAULTS_RESOURCE = "dpsynth/dpft-defaults.yaml";

  /** Defaults, then {@code file} (may be null), then {@code --set} overrides; validated. */
  public static DpftConfig load(Path file, List<String> overrides) {
    return ConfigLoader.load(DpftConfig.class, DEFAULTS_RESOURCE, file, overrides).validate();
  }

  /** Where the pretrained (public) model is; built from {@code pretrain} when missing. */
  public record Model(String pretrained) implements Serializable {}

  /** The public pretraining run and the model architecture. */
  public record Pretrain(
      String corpus,
      int vocabSize,
      int context,
      int embedDim,
      int hidden,
      int maxLabels,
      int epochs,
      int batchSize,
      double learningRate,
      int maxTokens,
      int threads,
      long seed) implements Serializable {}

  /** DP-SGD: T steps, Poisson rate q, the expected batch size, optimiser, checkpoints. */
  public record Training(
      int steps,
      double samplingRate,
      String expectedBatchSize,
      double countNoise,
      int examplesPerUser,
      int maxTokens,
      String optimizer,
      double learningRate,
      int checkpointEvery,
      String sampling,
      int partitions,
      long seed) implements Serializable {

    /** True when N_users is estimated with a DP count (charged); false when a public number is given. */
    public boolean dpUserCount() {
      return "dp".equals(expectedBatchSize);
    }

    /** The public expected batch size (only when not {@code dp}). */
    public double publicExpectedBatchSize() {
      return Double.parseDouble(expectedBatchSize);
    }
  }

  /** Sampling from the fine-tuned model. */
  public record Generation(int samples, double temperature, int topK, double topP, int maxTokens, long seed)
      implements Serializable {}

  /** Checks values binding cannot; every message names the dotted key and the expected form. */
  public DpftConfig validate() {
    List<String> e = new ArrayList<>();
    req(e, input.path() != null && !input.path().isBlank(), "input.path", "a file or directory path");
    String fmt = input.format() == null ? "" : input.format().toLowerCase(Locale.ROOT);
    req(e, List.of("auto", "parquet", "jsonl", "json", "csv").contains(fmt), "input.format", "one of auto, parquet, jsonl, csv");
    req(e, input.textColumn() != null && !input.textColumn().isBlank(), "input.text_column", "a column name");
    req(e, input.maxRecordsPerUser() >= 1, "input.max_records_per_user", "an integer >= 1");
    input.validateModality(e, false);
    req(e, labels.names() != null && !labels.names().isEmpty() || !input.hasLabels(), "labels.names",
        "the public list of labels (needed when input.label_column is set)");
    req(e, List.of("public", "dp").contains(labels.proportions()), "labels.proportions", "'public' or 'dp'");
    req(e, List.of("records", "users").contains(labels.shares()), "labels.shares", "'records' or 'users'");
    req(e, labels.clip() >= 0 && Double.isFinite(labels.clip()), "labels.clip",
        "a number >= 0 (the L2 bound of one user's label-count vector; 0 means input.max_records_per_user)");
    if (labels.weights() != null) {
      labels.weights().forEach((k, v) -> {
        req(e, labels.names() != null && labels.names().contains(k), "labels.weights." + k, "a label listed in labels.names");
        req(e, v != null && v >= 0, "labels.weights." + k, "a weight >= 0");
      });
    }
    if (privacy.epsilon() == null && privacy.sigma() == null) {
      e.add("privacy.epsilon: give a target epsilon > 0 (or privacy.sigma to report epsilon)");
    }
    if (privacy.epsilon() != null) {
      req(e, privacy.epsilon() > 0 && Double.isFinite(privacy.epsilon()), "privacy.epsilon", "a finite number > 0");
    }
    if (privacy.sigma() != null) {
      req(e, privacy.sigma() > 0 && Double.isFinite(privacy.sigma()), "privacy.sigma", "a finite noise multiplier > 0");
    }
    req(e, privacy.delta() > 0 && privacy.delta() < 1, "privacy.delta", "a number in (0, 1)");
    req(e, privacy.minUsers() >= 1, "privacy.min_users", "an integer >= 1 (a public lower bound on the number of users)");
    if (privacy.minUsers() >= 1 && privacy.delta() > 0 && privacy.delta() < 1) {
      req(e, privacy.delta() * privacy.minUsers() < 1, "privacy.delta",
          "a number below 1/privacy.min_users = " + (1.0 / privacy.minUsers()) + " (delta >= 1/n allows releasing one user's records outright)");
    }
    req(e, privacy.clip() > 0 && Double.isFinite(privacy.clip()), "privacy.clip", "a finite number > 0 (the per-user gradient L2 bound C)");
    req(e, privacy.noise() != null && (privacy.noise().equals("secure") || privacy.noise().matches("seeded:-?\\d+")),
        "privacy.noise", "'secure', or 'seeded:<integer>' for tests only");
    req(e, model.pretrained() != null && !model.pretrained().isBlank(), "model.pretrained", "a file path");
    req(e, pretrain.corpus() != null && !pretrain.corpus().isBlank(), "pretrain.corpus", "a JSON Lines file of public texts");
    req(e, pretrain.vocabSize() >= 1, "pretrain.vocab_size", "an integer >= 1");
    req(e, pretrain.context() >= 1 && pretrain.context() <= 16, "pretrain.context", "an integer in [1, 16]");
    req(e, pretrain.embedDim() >= 1, "pretrain.embed_dim", "an integer >= 1");
    req(e, pretrain.hidden() >= 1, "pretrain.hidden", "an integer >= 1");
    int nLabels = labels.names() == null ? 1 : Math.max(1, labels.names().size());
    req(e, pretrain.maxLabels() >= nLabels, "pretrain.max_labels", "an integer >= the number of labels (" + nLabels + ")");
    req(e, pretrain.epochs() >= 0, "pretrain.epochs", "an integer >= 0");
    req(e, pretrain.batchSize() >= 1, "pretrain.batch_size", "an integer >= 1");
    req(e, pretrain.learningRate() > 0, "pretrain.learning_rate", "a number > 0");
    req(e, pretrain.maxTokens() >= 1, "pretrain.max_tokens", "an integer >= 1");
    req(e, pretrain.threads() >= 1, "pretrain.threads", "an integer >= 1");
    req(e, dpft.steps() >= 1, "dpft.steps", "an integer >= 1");
    req(e, dpft.samplingRate() > 0 && dpft.samplingRate() <= 1, "dpft.sampling_rate", "a number in (0, 1]");
    boolean batchOk = "dp".equals(dpft.expectedBatchSize());
    if (!batchOk && dpft.expectedBatchSize() != null) {
      try {
        batchOk = Double.parseDouble(dpft.expectedBatchSize()) > 0;
      } catch (NumberFormatException ignored) {
        batchOk = false;
      }
    }
    req(e, batchOk, "dpft.expected_batch_size", "'dp' (q x a DP user count, charged) or a public number > 0");
    req(e, dpft.countNoise() > 0 && Double.isFinite(dpft.countNoise()), "dpft.count_noise", "a number > 0 (noise multiplier of the DP counts)");
    req(e, dpft.examplesPerUser() >= 1, "dpft.examples_per_user", "an integer >= 1");
    req(e, dpft.maxTokens() >= 1, "dpft.max_tokens", "an integer >= 1");
    req(e, List.of("adam", "sgd").contains(dpft.optimizer()), "dpft.optimizer", "'adam' or 'sgd'");
    req(e, dpft.learningRate() > 0, "dpft.learning_rate", "a number > 0");
    req(e, dpft.checkpointEvery() >= 1, "dpft.checkpoint_every", "an integer >= 1");
    req(e, dpft.sampling() != null && (dpft.sampling().equals("secure") || dpft.sampling().matches("seeded:-?\\d+")),
        "dpft.sampling", "'secure' (secret per-step keys), or 'seeded:<integer>' for tests only");
    req(e, dpft.partitions() >= 1, "dpft.partitions", "an integer >= 1");
    req(e, generation.samples() >= 0, "generation.samples", "an integer >= 0");
    req(e, generation.temperature() > 0 && generation.temperature() <= 5, "generation.temperature", "a number in (0, 5]");
    req(e, generation.topK() >= 0, "generation.top_k", "an integer >= 0 (0 = no top-k cut)");
    req(e, generation.topP() > 0 && generation.topP() <= 1, "generation.top_p", "a number in (0, 1]");
    req(e, generation.maxTokens() >= 1, "generation.max_tokens", "an integer >= 1");
    req(e, output.dir() != null && !output.dir().isBlank(), "output.dir", "a directory path");
    budget.validate(e);
    if (!e.isEmpty()) {
      throw new ConfigException("Invalid configuration:\n  " + String.join("\n  ", e));
    }
    return this;
  }

  private static void req(List<String> errors, boolean ok, String key, String expected) {
    if (!ok) {
      errors.add(key + ": expected " + expected);
    }
  }
}
