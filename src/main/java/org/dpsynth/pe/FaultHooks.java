package org.dpsynth.pe;

import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

/**
 * Test-only fault injection in executor tasks, off unless a {@code spark.dpsynth.test.*} conf is
 * set (spark-submit {@code --conf} or a {@code -Dspark...} property): {@code
 * failFirstVoteAttempt=true} makes the first attempt of every vote task fail (exercising
 * {@code spark.task.maxFailures}), {@code voteTaskSleepMs=N} slows vote tasks so a test can kill an
 * executor while they run. Neither changes a result: votes are deterministic.
 */
final class FaultHooks {
  static final String FAIL_FIRST = "spark.dpsynth.test.failFirstVoteAttempt";
  static final String SLEEP_MS = "spark.dpsynth.test.voteTaskSleepMs";

  private FaultHooks() {}

  static void beforeVoteTask() {
    SparkEnv env = SparkEnv.get();
    TaskContext task = TaskContext.get();
    if (env == null || task == null) {
      return;
    }
    long sleep = env.conf().getLong(SLEEP_MS, 0L);
    if (sleep > 0) {
      try {
        Thread.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (env.conf().getBoolean(FAIL_FIRST, false) && task.attemptNumber() == 0) {
      throw new IllegalStateException("injected vote task failure (" + FAIL_FIRST + "), partition "
          + task.partitionId() + ", attempt 0");
    }
  }
}
