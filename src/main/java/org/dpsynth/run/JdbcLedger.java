package org.dpsynth.run;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.dpsynth.config.ConfigException;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.LedgerStore;

/**
 * A dataset ledger in a relational database through plain JDBC (tested on PostgreSQL), for run
 * directories on object stores and for many schedulers and clusters sharing one budget: one row
 * per charged release in table {@value #TABLE}.
 *
 * <p>{@link #appendAtomically} runs in one SERIALIZABLE transaction: read every row, decide, insert
 * the decided rows, commit. Two transactions that both read the budget and both insert cannot both
 * commit (the database aborts one with a serialization failure, SQLSTATE 40001, or a key conflict,
 * 23505); the loser rolls back and decides again on what the winner committed. The connection's
 * password is read from the environment variable named by {@code budget.ledger_password_env} and
 * never appears in messages.
 */
final class JdbcLedger implements LedgerStore {
  static final String TABLE = "dpsynth_privacy_ledger";
  private static final int ATTEMPTS = 50;

  private final String url;
  private final Properties credentials;

  JdbcLedger(String url, String user, String password) {
    this.url = url;
    this.credentials = new Properties();
    if (user != null && !user.isBlank()) {
      credentials.setProperty("user", user);
    }
    if (password != null) {
      credentials.setProperty("password", password);
    }
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " ("
          + "seq BIGINT NOT NULL UNIQUE, release_id VARCHAR(512) PRIMARY KEY, mechanism VARCHAR(32) NOT NULL, "
          + "noise_stddev DOUBLE PRECISION NOT NULL, sensitivity DOUBLE PRECISION NOT NULL, steps BIGINT NOT NULL, "
          + "sampling_rate DOUBLE PRECISION, run_id VARCHAR(128) NOT NULL, dataset VARCHAR(1024) NOT NULL, "
          + "charged_at VARCHAR(64) NOT NULL)");
    } catch (SQLException e) {
      throw failure("cannot open", e);
    }
  }

  @Override
  public String location() {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q); // parameters may carry credentials
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(url, credentials);
  }

  @Override
  public List<LedgerEntry> entries() {
    try (Connection c = connect()) {
      return read(c);
    } catch (SQLException e) {
      throw failure("cannot read", e);
    }
  }

  @Override
  public List<LedgerEntry> appendAtomically(UnaryOperator<List<LedgerEntry>> decide) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      try (Connection c = connect()) {
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
        try {
          List<LedgerEntry> recorded = read(c);
          List<LedgerEntry> decided = LedgerStore.decided(recorded, decide, location());
          long seq = maxSeq(c);
          try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + TABLE
              + " (seq, release_id, mechanism, noise_stddev, sensitivity, steps, sampling_rate, run_id, dataset, charged_at)"
              + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (LedgerEntry e : decided) {
              ins.setLong(1, ++seq);
              ins.setString(2, e.releaseId());
              ins.setString(3, e.mechanism());
              ins.setDouble(4, e.noiseStddev());
              ins.setDouble(5, e.sensitivity());
              ins.setLong(6, e.steps());
              if (e.samplingRate() == null) {
                ins.setNull(7, Types.DOUBLE);
              } else {
                ins.setDouble(7, e.samplingRate());
              }
              ins.setString(8, e.runId());
              ins.setString(9, e.dataset());
              ins.setString(10, e.time());
              ins.addBatch();
            }
            if (!decided.isEmpty()) {
              ins.executeBatch();
            }
          }
          c.commit();
          return decided;
        } catch (SQLException e) {
          c.rollback();
          if (!retryable(e)) {
            throw e;
          }
          // Another transaction charged first: decide again on what it committed.
        } catch (RuntimeException e) {
          c.rollback();
          throw e;
        }
      } catch (SQLException e) {
        throw failure("cannot append to", e);
      }
    }
    throw new IllegalStateException("privacy ledger " + location() + ": could not append after " + ATTEMPTS + " attempts");
  }

  private static boolean retryable(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && ("40001".equals(s.getSQLState()) || "23505".equals(s.getSQLState()))) {
        return true;
      }
    }
    return e.getNextException() != null && retryable(e.getNextException());
  }

  private static long maxSeq(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM " + TABLE)) {
      r.next();
      return r.getLong(1);
    }
  }

  private List<LedgerEntry> read(Connection c) throws SQLException {
    List<LedgerEntry> out = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT release_id, mechanism, noise_stddev, "
        + "sensitivity, steps, sampling_rate, run_id, dataset, charged_at FROM " + TABLE + " ORDER BY seq")) {
      while (r.next()) {
        double q = r.getDouble(6);
        Double rate = r.wasNull() ? null : q;
        try {
          out.add(new LedgerEntry(r.getString(1), r.getString(2), r.getDouble(3), r.getDouble(4), r.getLong(5),
              r.getString(7), r.getString(8), r.getString(9), rate));
        } catch (IllegalArgumentException e) {
          throw new IllegalStateException("privacy ledger " + location() + ": row " + (out.size() + 1) + " is not a valid entry: " + e.getMessage());
        }
      }
    }
    return out;
  }

  private IllegalStateException failure(String what, SQLException e) {
    // SQL messages name tables and states, not our data; the URL is shown without its parameters.
    return new IllegalStateException(what + " the privacy ledger " + location() + " (SQLSTATE " + e.getSQLState() + "): "
        + e.getMessage(), e);
  }

  static ConfigException missingDriver(String url) {
    return new ConfigException("budget.ledger: no JDBC driver for " + url.substring(0, Math.min(url.length(), 20))
        + "... on the class path (the PostgreSQL driver ships with dpsynth; others go on --jars)");
  }
}
