package org.dpsynth.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The part of a PE config that a command needs to read a corpus and embed it ({@code evaluate}):
 * {@code input.*} and {@code embedder.*}, bound like the whole config (same defaults, file and
 * {@code --set} rules) but checked only for these two sections, so such a command needs no label
 * set, privacy target or generator.
 */
public record CorpusSettings(JobConfig.Input input, JobConfig.Embedder embedder) {

  /** Defaults, then {@code file} (may be null), then {@code overrides}; input and embedder checked. */
  public static CorpusSettings load(Path file, List<String> overrides) {
    JobConfig all = ConfigLoader.load(JobConfig.class, ConfigLoader.DEFAULTS_RESOURCE, file, overrides);
    Errors errors = new Errors();
    all.input().validate(errors);
    all.input().validateModality(errors, true);
    all.embedder().validate(errors);
    errors.throwIfAny();
    return new CorpusSettings(all.input(), all.embedder());
  }
}
