package org.dpsynth.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.LedgerStore;
import org.dpsynth.privacy.PrivacyBudget;
import org.dpsynth.run.Ledgers;
import org.dpsynth.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDBC ledger against a real PostgreSQL server (Debian's package, started in a temporary
 * directory on 127.0.0.1): the same semantics as the file ledger — entries read back in order, a
 * repeated release refused — and many runs racing for one dataset's budget, each through its own
 * connection: exactly as many are admitted as the cap pays for.
 */
class JdbcLedgerIT {
  @TempDir Path dir;

  private static LedgerEntry charge(String run, String dataset) {
    return LedgerEntry.gaussian(run + "/pe/iteration-1", 1.0, 1.0, 1, run, dataset, Instant.now());
  }

  @Test
  void theDatabaseLedgerAdmitsExactlyWhatTheCapPaysForUnderConcurrentRuns() throws Exception {
    try (PostgresServer pg = PostgresServer.start(dir)) {
      LedgerStore ledger = Ledgers.jdbc(pg.jdbcUrl(), PostgresServer.USER, null);
      ledger.append(charge("first", "other-dataset"));
      assertEquals(List.of("first/pe/iteration-1"), ledger.entries().stream().map(LedgerEntry::releaseId).toList());
      assertThrows(IllegalStateException.class, () -> ledger.append(charge("first", "other-dataset")));

      // Cap: exactly three runs of one release at sigma = 1 fit (mu = sqrt(3) passes, sqrt(4) does not).
      double three = PrivacyBudget.epsilon(List.of(charge("a", "d"), charge("b", "d"), charge("c", "d")), 1e-6);
      double four = PrivacyBudget.epsilon(List.of(charge("a", "d"), charge("b", "d"), charge("c", "d"), charge("e", "d")), 1e-6);
      double cap = (three + four) / 2;
      int runs = 8;
      ExecutorService pool = Executors.newFixedThreadPool(runs);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Boolean>> results = new ArrayList<>();
      for (int r = 0; r < runs; r++) {
        String run = "race-" + r;
        results.add(pool.submit(() -> {
          LedgerStore own = Ledgers.jdbc(pg.jdbcUrl(), PostgresServer.USER, null); // its own connections, as another cluster's driver
          start.await();
          try {
            own.appendAtomically(recorded -> PrivacyBudget.admit(recorded, List.of(charge(run, "d")), "d", cap, 1e-6, own.location()).toAppend());
            return true;
          } catch (PrivacyBudget.ExceededException e) {
            return false;
          }
        }));
      }
      start.countDown();
      int admitted = 0;
      for (Future<Boolean> f : results) {
        admitted += f.get() ? 1 : 0;
      }
      pool.shutdown();
      assertEquals(3, admitted, "the cap pays for three runs");
      List<LedgerEntry> d = ledger.entries().stream().filter(e -> e.dataset().equals("d")).toList();
      assertEquals(3, d.size());
      assertTrue(PrivacyBudget.epsilon(d, 1e-6) <= cap);
      assertTrue(ledger.location().startsWith("jdbc:postgresql://127.0.0.1:"), ledger.location());
    }
  }
}
