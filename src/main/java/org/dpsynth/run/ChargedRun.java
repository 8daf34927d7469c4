package org.dpsynth.run;

import java.util.List;
import java.util.function.Function;
import org.dpsynth.privacy.NoiseSource;

/**
 * A {@link PrivateRun} whose releases are charged in the ledger: the only place values are drawn.
 * {@link #release} draws a charged release at most once per committed value: it returns the
 * committed value when there is one, and otherwise draws, commits, and only then returns.
 */
public final class ChargedRun {
  private final PrivateRun run;
  private final List<String> charged;

  ChargedRun(PrivateRun run, List<String> charged) {
    this.run = run;
    this.charged = List.copyOf(charged);
  }

  public PrivateRun run() {
    return run;
  }

  /**
   * The value of release {@code name}: read back when {@code store} holds a committed value,
   * otherwise drawn with this release's noise, committed, and returned.
   *
   * @param name a charged release, or a part of one ("fewshot/tokens/step-0003" under the charge
   *     "fewshot/tokens")
   * @param draw computes the exact sum and adds the noise it is given; it must not write or print
   *     anything derived from its result (the commit does that)
   */
  public <T> T release(String name, Persisted<T> store, Function<NoiseSource, T> draw) {
    if (charged.stream().noneMatch(c -> name.equals(c) || name.startsWith(c + "/"))) {
      throw new IllegalStateException("release '" + name + "' was not charged to the ledger before its draw");
    }
    if (store.committed()) {
      return store.read();
    }
    T value = draw.apply(run.noiseFor(name));
    run.boundary("drawn:" + name);
    store.commit(value);
    run.boundary("released:" + name);
    return value;
  }
}
