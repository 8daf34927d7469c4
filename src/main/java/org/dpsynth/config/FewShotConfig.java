package org.dpsynth.config;

import java.io.Serializable;
import java.util.ArrayList;
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
    Output output,
    Eval eval,
    JobConfig.Budget budget) implements Serializable {

  public static final String DEFAULTS_RESOURCE = "dpsynth/fewshot-defaults.yaml";

  /** The public label set. */
  public record Labels(List<String> names) implements Serializable {}

  /**
   * Target (epsilon, delta) for the whole run, or a noise multiplier {@code sigma}; the accountant
   * ({@code pld} or {@code rdp}), the noise source, and {@code minUsers}, a public lower bound on
   * the number of users that delta is checked against (the private count is never compared).
   */
  public record Privacy(Double epsilon, double delta, Double sigma, String accountant, String noise, long minUsers)
      implements Serializable {}

  /** The mechanism's parameters. */
  public record FewShot(
      int demonstrationsPerLabel,
      int subsets,
      double samplingRate,
      int maxExamplesPerSubset,
      int candidates,
      int maxTokens,
      String instruction,
      long seed) implements Serializable {}

  public record Output(String dir) implements Serializable {}

  /** In-context classification evaluation on held-out real examples. */
  public record Eval(String heldout, int maxTest) implements Serializable {}

  /** Loads defaults, then {@code file}, then overrides, and validates. */
  public static FewShotConfig load(java.nio.file.Path file, List<String> overrides) {
    return ConfigLoader.load(FewShotConfig.class, DEFAULTS_RESOURCE, file, overrides).validate();
  }

  /** Checks values binding cannot; messages name the dotted key. */
  public FewShotConfig validate() {
    List<String> errors = new ArrayList<>();
    check(errors, input.path() != null && !input.path().isBlank(), "input.path", "a file or directory path");
    check(errors, input.textColumn() != null && !input.textColumn().isBlank(), "input.text_column", "a column name");
    check(errors, input.maxRecordsPerUser() >= 1, "input.max_records_per_user", "an integer >= 1");
    input.validateModality(errors, false);
    check(errors, labels.names() != null && !labels.names().isEmpty(), "labels.names", "the public list of labels");
    check(errors, privacy.epsilon() != null || privacy.sigma() != null, "privacy.epsilon", "a target epsilon > 0 (or privacy.sigma)");
    if (privacy.epsilon() != null) {
      check(errors, privacy.epsilon() > 0 && Double.isFinite(privacy.epsilon()), "privacy.epsilon", "a finite number > 0");
    }
    if (privacy.sigma() != null) {
      check(errors, privacy.sigma() > 0 && Double.isFinite(privacy.sigma()), "privacy.sigma", "a finite noise multiplier > 0");
    }
    check(errors, privacy.delta() > 0 && privacy.delta() < 1, "privacy.delta", "a number in (0, 1)");
    check(errors, privacy.minUsers() >= 1, "privacy.min_users", "an integer >= 1 (a public lower bound on the number of users)");
    if (privacy.minUsers() >= 1 && privacy.delta() > 0 && privacy.delta() < 1) {
      check(errors, privacy.delta() * privacy.minUsers() < 1, "privacy.delta",
          "a number below 1/privacy.min_users = " + (1.0 / privacy.minUsers()) + " (delta >= 1/n allows releasing one user's records outright)");
    }
    check(errors, List.of("pld", "rdp").contains(privacy.accountant()), "privacy.accountant", "'pld' or 'rdp'");
    check(errors, privacy.noise() != null && (privacy.noise().equals("secure") || privacy.noise().matches("seeded:-?\\d+")),
        "privacy.noise", "'secure', or 'seeded:<integer>' for tests only");
    check(errors, fewshot.demonstrationsPerLabel() >= 1, "fewshot.demonstrations_per_label", "an integer >= 1");
    check(errors, fewshot.subsets() >= 1, "fewshot.subsets", "an integer >= 1");
    check(errors, fewshot.samplingRate() > 0 && fewshot.samplingRate() <= 1, "fewshot.sampling_rate", "a number in (0, 1]");
    check(errors, fewshot.maxExamplesPerSubset() >= 1, "fewshot.max_examples_per_subset", "an integer >= 1");
    check(errors, fewshot.candidates() >= 2, "fewshot.candidates", "an integer >= 2");
    check(errors, fewshot.maxTokens() >= 1, "fewshot.max_tokens", "an integer >= 1");
    check(errors, fewshot.instruction() != null, "fewshot.instruction", "a string");
    check(errors, "local".equals(generator.type()) || "openai".equals(generator.type()), "generator.type", "'local' or 'openai'");
    check(errors, output.dir() != null && !output.dir().isBlank(), "output.dir", "a directory path");
    check(errors, eval.maxTest() >= 1, "eval.max_test", "an integer >= 1");
    budget.validate(errors);
    if (!errors.isEmpty()) {
      throw new ConfigException("Invalid configuration:\n  " + String.join("\n  ", errors));
    }
    return this;
  }

  private static void check(List<String> errors, boolean ok, String key, String expected) {
    if (!ok) {
      errors.add(key + ": expected " + expected);
    }
  }
}
