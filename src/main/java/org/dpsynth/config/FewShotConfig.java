package org.dpsynth.config;

import java.io.Serializable;
import java.util.List;

/**
 * The DP few-shot generation job's configuration (Tang et al., ICLR 2024), bound from YAML/JSON
 * with defaults in the classpath resource {@code dpsynth/fewshot-defaults.yaml}, which documents
 * every key.
 */
public record FewShotConfig(
    JobConfig.Input input,
    Labels labels,
    Privacy privacy,
    FewShot fewshot,
    JobConfig.Generator generator,
    JobConfig.Output output,
    Eval eval,
    JobConfig.Budget budget) implements MethodConfig, Serializable {

  public static final String DEFAULTS_RESOURCE = "dpsynth/fewshot-defaults.yaml";

  /** The public label set. */
  public record Labels(List<String> names) implements Serializable {
    public void validate(Errors e) {
      e.require(names != null && !names.isEmpty(), "labels.names", "the public list of labels");
    }
  }

  /**
   * Target (epsilon, delta) for the whole run, or a noise multiplier {@code sigma}; the accountant
   * ({@code pld} or {@code rdp}), the noise source, and {@code minUsers}, a public lower bound on
   * the number of users that delta is checked against (the private count is never compared).
   */
  public record Privacy(Double epsilon, double delta, Double sigma, Accountant accountant, String noise, long minUsers)
      implements PrivacyTarget, Serializable {

    /** Which accountant composes the releases. */
    public enum Accountant { PLD, RDP }

    @Override
    public void validate(Errors e) {
      PrivacyTarget.super.validate(e);
      e.require(accountant != null, "privacy.accountant", Modes.oneOf(Accountant.class));
    }
  }

  /** The mechanism's parameters. */
  public record FewShot(
      int demonstrationsPerLabel,
      int subsets,
      double samplingRate,
      int maxExamplesPerSubset,
      int candidates,
      int maxTokens,
      String instruction,
      long seed) implements Serializable {

    public void validate(Errors e) {
      e.require(demonstrationsPerLabel >= 1, "fewshot.demonstrations_per_label", "an integer >= 1");
      e.require(subsets >= 1, "fewshot.subsets", "an integer >= 1");
      e.require(samplingRate > 0 && samplingRate <= 1, "fewshot.sampling_rate", "a number in (0, 1]");
      e.require(maxExamplesPerSubset >= 1, "fewshot.max_examples_per_subset", "an integer >= 1");
      e.require(candidates >= 2, "fewshot.candidates", "an integer >= 2");
      e.require(maxTokens >= 1, "fewshot.max_tokens", "an integer >= 1");
      e.require(instruction != null, "fewshot.instruction", "a string");
    }
  }

  /** In-context classification evaluation on held-out real examples. */
  public record Eval(String heldout, int maxTest) implements Serializable {
    public void validate(Errors e) {
      e.require(maxTest >= 1, "eval.max_test", "an integer >= 1");
    }
  }

  /** Loads defaults, then {@code file}, then overrides, and validates. */
  public static FewShotConfig load(java.nio.file.Path file, List<String> overrides) {
    return ConfigLoader.load(FewShotConfig.class, DEFAULTS_RESOURCE, file, overrides).validate();
  }

  /** Checks values binding cannot; messages name the dotted key. */
  public FewShotConfig validate() {
    Errors errors = new Errors();
    input.validate(errors);
    input.validateModality(errors, false);
    labels.validate(errors);
    privacy.validate(errors);
    fewshot.validate(errors);
    generator.validate(errors);
    if (generator.type() == JobConfig.ModelType.OPENAI) {
      errors.require(fewshot.candidates() <= generator.maxTopLogprobs(), "fewshot.candidates",
          "at most generator.max_top_logprobs (" + generator.maxTopLogprobs() + "), the server's cap on top log-probabilities");
    }
    output.validate(errors, input);
    eval.validate(errors);
    budget.validate(errors);
    errors.throwIfAny();
    return this;
  }
}
