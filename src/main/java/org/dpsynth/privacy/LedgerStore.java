package org.dpsynth.privacy;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Where a dataset's privacy ledger lives (a file, a database): an append-only list of {@link
 * LedgerEntry} shared by every run and every method on the dataset.
 *
 * <p>The one operation that writes is {@link #appendAtomically}: under the store's exclusive lock
 * it reads everything recorded so far (also by other processes), lets the caller decide what to
 * append from that, and makes the decided entries durable before it returns. A budget check and
 * the charges it admits are therefore one atomic step: two runs racing for the last of a budget
 * cannot both pass.
 */
public interface LedgerStore {

  /** Every entry recorded so far, in append order (re-read from storage). */
  List<LedgerEntry> entries();

  /**
   * Under the store's exclusive lock: reads every recorded entry, calls {@code decide} with them,
   * and appends the entries it returns, in order, durably (forced to storage) before returning
   * them. If {@code decide} throws, nothing is appended and the exception propagates. An entry
   * whose releaseId is already recorded is an error ({@link IllegalStateException}).
   */
  List<LedgerEntry> appendAtomically(UnaryOperator<List<LedgerEntry>> decide);

  /** Where the ledger is, for messages (a path, or a database URL without credentials). */
  String location();

  /** True when a release with this id is recorded. */
  default boolean contains(String releaseId) {
    return entries().stream().anyMatch(e -> e.releaseId().equals(releaseId));
  }

  /**
   * What {@code decide} returns for the entries {@code recorded}, checked: no release is charged
   * twice (against the ledger or within the batch). Stores call it inside their atomic step.
   */
  static List<LedgerEntry> decided(List<LedgerEntry> recorded, UnaryOperator<List<LedgerEntry>> decide, String location) {
    List<LedgerEntry> decided = List.copyOf(decide.apply(List.copyOf(recorded)));
    java.util.Set<String> ids = new java.util.HashSet<>();
    recorded.forEach(e -> ids.add(e.releaseId()));
    for (LedgerEntry e : decided) {
      if (!ids.add(e.releaseId())) {
        throw new IllegalStateException("release '" + e.releaseId() + "' is already in the privacy ledger " + location);
      }
    }
    return decided;
  }

  /** Appends one entry durably; refuses a releaseId already recorded. */
  default void append(LedgerEntry entry) {
    appendAtomically(recorded -> List.of(entry));
  }
}
