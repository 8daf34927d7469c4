package org.dpsynth.config;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;

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
    JobConfig.Budget budget) implements MethodConfig, Serializable {

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
      Optimizer optimizer,
      double learningRate,
      int checkpointEvery,
      String sampling,
      int partitions,
      long seed) implements Serializable {

    /** The update rule applied to the noisy mean gradient. */
    public enum Optimizer { ADAM, SGD }

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
    Errors e = JobConfig.privateRecords(input, labels, privacy, "the per-user gradient L2 bound C");
    input.validateModality(e, false);
    e.require(model.pretrained() != null && !model.pretrained().isBlank(), "model.pretrained", "a file path");
    e.require(pretrain.corpus() != null && !pretrain.corpus().isBlank(), "pretrain.corpus", "a JSON Lines file of public texts");
    e.require(pretrain.vocabSize() >= 1, "pretrain.vocab_size", "an integer >= 1");
    e.require(pretrain.context() >= 1 && pretrain.context() <= 16, "pretrain.context", "an integer in [1, 16]");
    e.require(pretrain.embedDim() >= 1, "pretrain.embed_dim", "an integer >= 1");
    e.require(pretrain.hidden() >= 1, "pretrain.hidden", "an integer >= 1");
    int nLabels = labels.names() == null ? 1 : Math.max(1, labels.names().size());
    e.require(pretrain.maxLabels() >= nLabels, "pretrain.max_labels", "an integer >= the number of labels (" + nLabels + ")");
    e.require(pretrain.epochs() >= 0, "pretrain.epochs", "an integer >= 0");
    e.require(pretrain.batchSize() >= 1, "pretrain.batch_size", "an integer >= 1");
    e.require(pretrain.learningRate() > 0, "pretrain.learning_rate", "a number > 0");
    e.require(pretrain.maxTokens() >= 1, "pretrain.max_tokens", "an integer >= 1");
    e.require(pretrain.threads() >= 1, "pretrain.threads", "an integer >= 1");
    e.require(dpft.steps() >= 1, "dpft.steps", "an integer >= 1");
    e.require(dpft.samplingRate() > 0 && dpft.samplingRate() <= 1, "dpft.sampling_rate", "a number in (0, 1]");
    boolean batchOk = "dp".equals(dpft.expectedBatchSize());
    if (!batchOk && dpft.expectedBatchSize() != null) {
      try {
        batchOk = Double.parseDouble(dpft.expectedBatchSize()) > 0;
      } catch (NumberFormatException ignored) {
        batchOk = false;
      }
    }
    e.require(batchOk, "dpft.expected_batch_size", "'dp' (q x a DP user count, charged) or a public number > 0");
    e.require(labels.budgetShare() == 0, "labels.budget_share", "0 for dpft (its label release's noise multiplier is dpft.count_noise)");
    e.require(dpft.countNoise() > 0 && Double.isFinite(dpft.countNoise()), "dpft.count_noise", "a number > 0 (noise multiplier of the DP counts)");
    e.require(dpft.examplesPerUser() >= 1, "dpft.examples_per_user", "an integer >= 1");
    e.require(dpft.maxTokens() >= 1, "dpft.max_tokens", "an integer >= 1");
    e.require(dpft.optimizer() != null, "dpft.optimizer", Modes.oneOf(Training.Optimizer.class));
    e.require(dpft.learningRate() > 0, "dpft.learning_rate", "a number > 0");
    e.require(dpft.checkpointEvery() >= 1, "dpft.checkpoint_every", "an integer >= 1");
    e.require(dpft.sampling() != null && PrivacyTarget.NOISE.matcher(dpft.sampling()).matches(),
        "dpft.sampling", "'secure' (secret per-step keys), or 'seeded:<integer>' for tests only");
    e.require(dpft.partitions() >= 1, "dpft.partitions", "an integer >= 1");
    e.require(generation.samples() >= 0, "generation.samples", "an integer >= 0");
    e.require(generation.temperature() > 0 && generation.temperature() <= 5, "generation.temperature", "a number in (0, 5]");
    e.require(generation.topK() >= 0, "generation.top_k", "an integer >= 0 (0 = no top-k cut)");
    e.require(generation.topP() > 0 && generation.topP() <= 1, "generation.top_p", "a number in (0, 1]");
    e.require(generation.maxTokens() >= 1, "generation.max_tokens", "an integer >= 1");
    output.validate(e, input);
    budget.validate(e);
    e.throwIfAny();
    return this;
  }
}
