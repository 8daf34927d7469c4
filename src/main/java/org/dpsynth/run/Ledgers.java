package org.dpsynth.run;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.dpsynth.config.ConfigException;
import org.dpsynth.config.JobConfig;
import org.dpsynth.privacy.LedgerStore;
import org.dpsynth.privacy.PrivacyLedger;

/**
 * Finds a dataset's ledger. One ledger per dataset ({@code input.dataset}, by default the input
 * path), shared by PE, few-shot and DP fine-tuning and outliving run directories: {@code
 * budget.ledger} when given, otherwise {@code privacy-ledgers/<dataset>} beside the run directory
 * (so runs under the same parent, such as {@code runs/}, share it).
 *
 * <p>Stores: on the local file system a JSON Lines file under an exclusive file lock ({@link
 * PrivacyLedger}); on HDFS (and viewfs) a directory of batches published by atomic rename ({@link
 * HadoopLedger}); in a database through JDBC ({@link JdbcLedger}, {@code budget.ledger:
 * jdbc:…}). Object stores give neither a lock nor an atomic exclusive create, so a ledger there
 * could not stop two runs from both passing the budget: it is refused (use JDBC).
 */
public final class Ledgers {
  /** Folder of the default ledgers, beside the run directories. */
  public static final String DEFAULT_DIR = "privacy-ledgers";
  private static final Set<String> SHARED_FS = Set.of("hdfs", "viewfs");

  private Ledgers() {}

  /** The ledger of {@code dataset} for a run in {@code run}: {@code budget.ledger} if given, else the default beside the run. */
  public static LedgerStore open(JobConfig.Budget budget, String dataset, RunDirectory run) {
    String configured = budget.ledger();
    if (configured != null && configured.startsWith("jdbc:")) {
      return jdbc(configured, budget.ledgerUser(), budget.ledgerPasswordEnv());
    }
    if (configured != null && !configured.isBlank()) {
      return open(configured, run.conf());
    }
    Path parent = run.root().getParent() == null ? run.root() : run.root().getParent();
    Path dir = new Path(parent, DEFAULT_DIR);
    String name = baseName(dataset);
    return Storage.isLocal(dir) ? PrivacyLedger.open(java.nio.file.Path.of(new Path(dir, name + ".jsonl").toUri()))
        : at(new Path(dir, name), run.conf());
  }

  /** A JDBC ledger; the password comes from the environment variable named {@code passwordEnv}. */
  public static LedgerStore jdbc(String url, String user, String passwordEnv) {
    String password = null;
    if (passwordEnv != null && !passwordEnv.isBlank()) {
      password = System.getenv(passwordEnv);
      if (password == null) {
        throw new ConfigException("budget.ledger_password_env: the environment variable " + passwordEnv + " is not set");
      }
    }
    return new JdbcLedger(url, user, password);
  }

  /** The ledger at an explicit location: a local file, or a directory on HDFS. */
  public static LedgerStore open(String location, Configuration conf) {
    Path p = Storage.qualify(location, conf);
    return Storage.isLocal(p) ? PrivacyLedger.open(java.nio.file.Path.of(p.toUri())) : at(p, conf);
  }

  private static LedgerStore at(Path p, Configuration conf) {
    String scheme = Storage.scheme(p);
    if (!SHARED_FS.contains(scheme)) {
      throw new ConfigException("budget.ledger: a ledger on " + scheme + ":// cannot guarantee that two runs do not both pass "
          + "the budget (the store has no lock and no atomic exclusive create); use a database (budget.ledger: "
          + "jdbc:postgresql://host/db, with budget.ledger_user and budget.ledger_password_env), HDFS (hdfs://…) or a local file");
    }
    return new HadoopLedger(p, conf);
  }

  /** A name for a dataset's ledger: the name itself when it is a plain word, else a readable slug and a hash. */
  static String baseName(String dataset) {
    if (dataset.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,79}") && !dataset.endsWith(".jsonl")) {
      return dataset;
    }
    String slug = dataset.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^[-.]+", "");
    if (slug.length() > 60) {
      slug = slug.substring(slug.length() - 60);
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(dataset.getBytes(StandardCharsets.UTF_8));
      return slug + "-" + HexFormat.of().formatHex(h, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
