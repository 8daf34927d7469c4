package org.dpsynth.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dpsynth.testing.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The budget check of a JDBC ledger on a real PostgreSQL server (the groundwork of the JDBC
 * ledger, issue 18): "sum what the dataset spent, and append only if the cap still holds" must be
 * one atomic step, so that two runs on two clusters cannot both pass. Shown with SERIALIZABLE
 * transactions and with a transaction-scoped advisory lock; the same interleaving at READ COMMITTED
 * overspends, which is what these tests would catch.
 */
class PostgresAtomicSpendIT {
  @TempDir static Path dir;
  static PostgresServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = PostgresServer.start(dir.resolve("pg"));
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void freshTable() throws SQLException {
    try (Connection c = server.connect(); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS spend");
      s.execute("CREATE TABLE spend (dataset text NOT NULL, release text NOT NULL, epsilon double precision NOT NULL,"
          + " PRIMARY KEY (dataset, release))");
    }
  }

  static double spent(Connection c, String dataset) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT coalesce(sum(epsilon), 0) FROM spend WHERE dataset = ?")) {
      q.setString(1, dataset);
      try (ResultSet r = q.executeQuery()) {
        r.next();
        return r.getDouble(1);
      }
    }
  }

  static void append(Connection c, String dataset, String release, double epsilon) throws SQLException {
    try (PreparedStatement i = c.prepareStatement("INSERT INTO spend (dataset, release, epsilon) VALUES (?, ?, ?)")) {
      i.setString(1, dataset);
      i.setString(2, release);
      i.setDouble(3, epsilon);
      i.executeUpdate();
    }
  }

  static Connection begin(int isolation) throws SQLException {
    Connection c = server.connect();
    c.setAutoCommit(false);
    c.setTransactionIsolation(isolation);
    return c;
  }

  /** Check and append in one SERIALIZABLE transaction, retried on a serialization failure (SQLSTATE 40001). */
  static boolean trySpendSerializable(String dataset, String release, double epsilon, double cap) throws SQLException {
    for (int attempt = 0; attempt < 50; attempt++) {
      try (Connection c = begin(Connection.TRANSACTION_SERIALIZABLE)) {
        try {
          if (spent(c, dataset) + epsilon > cap) {
            c.rollback();
            return false;
          }
          append(c, dataset, release, epsilon);
          c.commit();
          return true;
        } catch (SQLException e) {
          c.rollback();
          if (!"40001".equals(e.getSQLState())) {
            throw e;
          }
        }
      }
    }
    throw new IllegalStateException("no serializable commit in 50 attempts");
  }

  @Test
  void atReadCommittedTheInterleavedCheckOverspends() throws Exception {
    try (Connection a = begin(Connection.TRANSACTION_READ_COMMITTED); Connection b = begin(Connection.TRANSACTION_READ_COMMITTED)) {
      assertEquals(0, spent(a, "d"));
      assertEquals(0, spent(b, "d"));
      append(a, "d", "run-a", 3);
      a.commit();
      append(b, "d", "run-b", 3);
      b.commit();
    }
    try (Connection c = server.connect()) {
      assertEquals(6, spent(c, "d"), "both passed a cap of 4: the race the atomic check must close");
    }
  }

  @Test
  void serializableRefusesTheSecondOfTwoInterleavedChecks() throws Exception {
    try (Connection a = begin(Connection.TRANSACTION_SERIALIZABLE); Connection b = begin(Connection.TRANSACTION_SERIALIZABLE)) {
      assertTrue(spent(a, "d") + 3 <= 4);
      assertTrue(spent(b, "d") + 3 <= 4);
      append(a, "d", "run-a", 3);
      a.commit();
      SQLException e = assertThrows(SQLException.class, () -> {
        append(b, "d", "run-b", 3);
        b.commit();
      });
      assertEquals("40001", e.getSQLState(), e.getMessage());
      b.rollback();
    }
    // Retried, run b now sees run a's spend and refuses.
    assertFalse(trySpendSerializable("d", "run-b", 3, 4));
    try (Connection c = server.connect()) {
      assertEquals(3, spent(c, "d"));
    }
  }

  @Test
  void anAdvisoryLockMakesTheSecondCheckWaitAndSeeTheFirstSpend() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Connection a = begin(Connection.TRANSACTION_READ_COMMITTED)) {
      lock(a, "d");
      assertEquals(0, spent(a, "d"));
      CountDownLatch bStarted = new CountDownLatch(1);
      Future<Boolean> b = pool.submit(() -> {
        try (Connection c = begin(Connection.TRANSACTION_READ_COMMITTED)) {
          bStarted.countDown();
          lock(c, "d"); // waits for a's commit
          boolean ok = spent(c, "d") + 3 <= 4;
          if (ok) {
            append(c, "d", "run-b", 3);
          }
          c.commit();
          return ok;
        }
      });
      assertTrue(bStarted.await(30, TimeUnit.SECONDS));
      assertThrows(java.util.concurrent.TimeoutException.class, () -> b.get(500, TimeUnit.MILLISECONDS), "b waits on the lock");
      append(a, "d", "run-a", 3);
      a.commit();
      assertFalse(b.get(30, TimeUnit.SECONDS), "b saw a's spend after the lock and refused");
    } finally {
      pool.shutdownNow();
    }
    try (Connection c = server.connect()) {
      assertEquals(3, spent(c, "d"));
    }
  }

  static void lock(Connection c, String dataset) throws SQLException {
    try (PreparedStatement l = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
      l.setString(1, "dpsynth-budget/" + dataset);
      l.executeQuery().close();
    }
  }

  @Test
  void eightConcurrentRunsNeverSpendMoreThanTheCap() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Boolean>> runs = new ArrayList<>();
      for (int r = 0; r < 8; r++) {
        String release = "run-" + r;
        runs.add(pool.submit(() -> {
          go.await();
          return trySpendSerializable("d", release, 1.0, 3.0);
        }));
      }
      go.countDown();
      int passed = 0;
      for (Future<Boolean> f : runs) {
        passed += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertEquals(3, passed, "exactly the three runs the cap of 3 pays for");
    } finally {
      pool.shutdownNow();
    }
    try (Connection c = server.connect()) {
      assertEquals(3.0, spent(c, "d"));
    }
  }
}
