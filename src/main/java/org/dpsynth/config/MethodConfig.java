package org.dpsynth.config;

/**
 * What every method's configuration ({@link JobConfig} for PE, {@link FewShotConfig}, {@link
 * DpftConfig}) is made of and the privacy-run protocol reads: the private input, the privacy
 * target, where the run is written and the dataset budget it draws on.
 */
public interface MethodConfig {
  JobConfig.Input input();

  PrivacyTarget privacy();

  JobConfig.Output output();

  JobConfig.Budget budget();
}
