package org.dpsynth.dpft;

import java.util.Arrays;
import java.util.Objects;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.privacy.NoiseSource;

/**
 * One step of user-level DP-SGD (Abadi et al. 2016; McMahan et al. 2018, "Learning Differentially
 * Private Recurrent Language Models"), as plain Java so executors and the privacy audit run the same
 * code: each Poisson-sampled user's gradient (the mean over at most m of their records) is clipped
 * to L2 norm C (minus the grid's rounding allowance) and rounded to the grid of {@link
 * GridGaussianMechanism}, whose exact integer check bounds it by C; the sum over users gets
 * discrete Gaussian noise of stddev z·C and is divided by the expected batch size q·N.
 *
 * <p>Because the clip applies to the user's whole contribution, a user with many records moves
 * the sum by at most C per step, as the accountant assumes.
 */
public final class DpSgdStep {
  private DpSgdStep() {}

  /**
   * The unclipped gradient of one user: the mean over the user's chosen records of the gradient of
   * each record's mean token loss. Records are chosen by the step's secret score (all of them if the
   * user has at most {@code examplesPerUser}). {@code grad} is overwritten and returned.
   */
  public static double[] userGradient(
      FeedForwardLm model, UserExamples user, PoissonSampling sampling, int examplesPerUser, double[] grad) {
    Arrays.fill(grad, 0);
    int[] chosen = choose(user, sampling, examplesPerUser);
    for (int i : chosen) {
      model.accumulateGradient(user.tokens()[i], user.codes()[i], 1.0 / chosen.length, grad);
    }
    return grad;
  }

  /** Clip to {@link GridGaussianMechanism#clipBeforeRounding()} and round to the grid. */
  public static long[] clipAndQuantize(double[] grad, GridGaussianMechanism mech) {
    return mech.quantize(GridGaussianMechanism.clipToNorm(grad, mech.clipBeforeRounding()));
  }

  /** Σ over users in {@code users} sampled with rate q of their clipped, quantised gradients. */
  public static long[] sum(
      FeedForwardLm model,
      Iterable<UserExamples> users,
      PoissonSampling sampling,
      double q,
      int examplesPerUser,
      GridGaussianMechanism mech) {
    long[] sum = new long[mech.dimension()];
    double[] grad = new double[mech.dimension()];
    for (UserExamples u : users) {
      if (u.tokens().length > 0 && sampling.sampled(u.user(), q)) {
        userGradient(model, u, sampling, examplesPerUser, grad);
        GridGaussianMechanism.addInto(sum, clipAndQuantize(grad, mech));
      }
    }
    return sum;
  }

  /**
   * The released update direction: (sum + N_Z(0, (zC)²)) / expectedBatchSize. The caller charges
   * the ledger (a "poisson-gaussian" entry with q, noise stddev zC, sensitivity C) BEFORE calling.
   */
  public static double[] noisyMeanGradient(
      long[] sum, GridGaussianMechanism mech, double noiseStddev, NoiseSource noise, double expectedBatchSize) {
    Objects.requireNonNull(noise, "noise");
    if (!(expectedBatchSize > 0)) {
      throw new IllegalArgumentException("expected batch size must be > 0, got " + expectedBatchSize);
    }
    double[] released = mech.release(sum, noiseStddev, noise);
    for (int i = 0; i < released.length; i++) {
      released[i] /= expectedBatchSize;
    }
    return released;
  }

  static int[] choose(UserExamples user, PoissonSampling sampling, int m) {
    int n = user.tokens().length;
    if (n <= m) {
      int[] all = new int[n];
      for (int i = 0; i < n; i++) {
        all[i] = i;
      }
      return all;
    }
    Integer[] idx = new Integer[n];
    double[] score = new double[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
      score[i] = sampling.exampleScore(user.user(), i);
    }
    Arrays.sort(idx, (a, b) -> Double.compare(score[a], score[b]));
    int[] out = new int[m];
    for (int i = 0; i < m; i++) {
      out[i] = idx[i];
    }
    return out;
  }
}
