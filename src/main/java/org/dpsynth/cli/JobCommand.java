package org.dpsynth.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/** A privacy-run command ({@code pe}, {@code fewshot}, {@code dpft}): the shared options and {@link JobOptions#run}. */
abstract class JobCommand implements Callable<Integer> {
  @Mixin JobOptions job;
}
