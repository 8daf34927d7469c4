package org.dpsynth.run;

/**
 * Where the value of one release is kept once drawn: {@link ChargedRun#release} reads it when it
 * is already committed and otherwise draws, commits, and only then hands the value out.
 * Implementations commit atomically and durably (see {@link RunDirectory#commit}).
 */
public interface Persisted<T> {
  /** True when the value was committed by this or an earlier (crashed) process of the run. */
  boolean committed();

  T read();

  /** Makes {@code value} durable at its final place in one atomic step. */
  void commit(T value);
}
