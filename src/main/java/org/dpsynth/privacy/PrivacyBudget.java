package org.dpsynth.privacy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The budget rule of a dataset: everything its ledger records, composed with the charges a run
 * asks for, must stay within the cap ({@code budget.total_epsilon}). Used inside {@link
 * LedgerStore#appendAtomically}, so the check and the charges it admits are one atomic step.
 *
 * <p>Composition: exact Gaussian DP (Dong–Roth–Su) when every release is a plain Gaussian one,
 * otherwise {@link SubsampledGaussianAccountant} (plain releases as q = 1). Both are upper bounds
 * on the true ε, so the cap is never overspent by rounding.
 */
public final class PrivacyBudget {
  private PrivacyBudget() {}

  /** Thrown when a run would overspend a dataset's budget; the message says what is left. */
  public static final class ExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final double left;

    ExceededException(String message, double left) {
      super(message);
      this.left = left;
    }

    /** ε still available on the dataset at the checked δ (0 when already at or over the cap). */
    public double left() {
      return left;
    }
  }

  /** ε at {@code delta} of the given releases composed (0 for none). */
  public static double epsilon(List<LedgerEntry> entries, double delta) {
    if (entries.isEmpty()) {
      return 0.0;
    }
    if (entries.stream().anyMatch(LedgerEntry::subsampled)) {
      return SubsampledGaussianAccountant.epsilon(entries.stream().map(LedgerEntry::subsampledRelease).toList(), delta);
    }
    return GaussianAccountant.epsilon(entries.stream().map(LedgerEntry::release).toList(), delta);
  }

  /** What a budget check found: the charges to append (those not yet recorded) and ε before and after. */
  public record Admission(List<LedgerEntry> toAppend, double spentBefore, double spentAfter) {}

  /**
   * The charges of {@code planned} not yet recorded (by releaseId), after checking that the
   * dataset's recorded releases composed with them stay within {@code cap} at {@code delta}.
   *
   * @param cap total ε for the dataset; 0 means no cap
   * @param ledgerName where the ledger is, for the message
   * @throws ExceededException when the cap would be exceeded (nothing is to be appended then)
   */
  public static Admission admit(List<LedgerEntry> recorded, List<LedgerEntry> planned, String dataset, double cap,
      double delta, String ledgerName) {
    Objects.requireNonNull(dataset, "dataset");
    Set<String> ids = new HashSet<>();
    List<LedgerEntry> ofDataset = new ArrayList<>();
    for (LedgerEntry e : recorded) {
      ids.add(e.releaseId());
      if (e.dataset().equals(dataset)) {
        ofDataset.add(e);
      }
    }
    List<LedgerEntry> toAppend = new ArrayList<>();
    for (LedgerEntry p : planned) {
      if (!p.dataset().equals(dataset)) {
        throw new IllegalArgumentException("planned release '" + p.releaseId() + "' is for dataset '" + p.dataset()
            + "', not '" + dataset + "'");
      }
      if (!ids.contains(p.releaseId())) {
        toAppend.add(p);
      }
    }
    double before = epsilon(ofDataset, delta);
    List<LedgerEntry> all = new ArrayList<>(ofDataset);
    all.addAll(toAppend);
    double after = toAppend.isEmpty() ? before : epsilon(all, delta);
    if (cap > 0 && after > cap) {
      double left = Math.max(0, cap - before);
      throw new ExceededException(String.format(
          "budget.total_epsilon %.4g for dataset '%s' would be exceeded: %.4g already spent (%d release%s in %s), "
              + "this run's %d uncharged release%s would bring it to %.4g at delta %.3g; %.4g left. "
              + "Lower privacy.epsilon, or raise budget.total_epsilon.",
          cap, dataset, before, ofDataset.size(), ofDataset.size() == 1 ? "" : "s", ledgerName,
          toAppend.size(), toAppend.size() == 1 ? "" : "s", after, delta, left), left);
    }
    return new Admission(List.copyOf(toAppend), before, after);
  }
}
