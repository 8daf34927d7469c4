package org.dpsynth.privacy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A cap on the ε spent on one dataset across runs, checked against the {@link PrivacyLedger}
 * before a run draws anything: the dataset's recorded releases composed (Gaussian DP, exact) with
 * the releases the run plans and has not yet recorded must stay within the cap. A resumed run
 * therefore counts only what it has not yet charged.
 */
public final class PrivacyBudget {
  private PrivacyBudget() {}

  /** Thrown when a run would overspend a dataset's budget; the message says what is left. */
  public static final class ExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ExceededException(String message) {
      super(message);
    }
  }

  /**
   * @param plannedNotRecorded this run's releases whose ids are not yet in the ledger
   * @param cap total ε for the dataset; 0 means no cap
   * @return ε at delta of the dataset after this run (recorded + planned)
   */
  public static double requireWithin(PrivacyLedger ledger, String dataset, List<GaussianAccountant.GaussianRelease> plannedNotRecorded,
      double cap, double delta) {
    Objects.requireNonNull(dataset, "dataset");
    List<GaussianAccountant.GaussianRelease> recorded = ledger.entries().stream()
        .filter(e -> e.dataset().equals(dataset)).map(LedgerEntry::release).toList();
    List<GaussianAccountant.GaussianRelease> all = new ArrayList<>(recorded);
    all.addAll(plannedNotRecorded);
    double spent = recorded.isEmpty() ? 0.0 : GaussianAccountant.epsilon(recorded, delta);
    double after = all.isEmpty() ? 0.0 : GaussianAccountant.epsilon(all, delta);
    if (cap > 0 && after > cap) {
      throw new ExceededException(String.format(
          "budget.total_epsilon %.4g for dataset '%s' would be exceeded: %.4g already spent (%d release%s in %s), "
              + "this run's %d remaining release%s would bring it to %.4g at delta %.3g; %.4g left. "
              + "Lower privacy.epsilon or pe.iterations, or raise budget.total_epsilon.",
          cap, dataset, spent, recorded.size(), recorded.size() == 1 ? "" : "s", ledger.file(),
          plannedNotRecorded.size(), plannedNotRecorded.size() == 1 ? "" : "s", after, delta, Math.max(0, cap - spent)));
    }
    return after;
  }
}
