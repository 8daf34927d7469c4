package org.dpsynth.run;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.dpsynth.privacy.LedgerStore;
import org.dpsynth.privacy.PrivacyLedger;

/**
 * Finds a dataset's ledger. One ledger per dataset ({@code input.dataset}, by default the input
 * path), shared by PE, few-shot and DP fine-tuning and outliving run directories: {@code
 * budget.ledger} when given, otherwise {@code privacy-ledgers/<dataset>.jsonl} beside the run
 * directory (so runs under the same parent, such as {@code runs/}, share it).
 */
public final class Ledgers {
  /** Folder of the default ledgers, beside the run directories. */
  public static final String DEFAULT_DIR = "privacy-ledgers";

  private Ledgers() {}

  public static LedgerStore open(String configured, String dataset, RunDirectory run) {
    return PrivacyLedger.open(location(configured, dataset, run));
  }

  static Path location(String configured, String dataset, RunDirectory run) {
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    Path parent = run.root().getParent();
    if (parent == null) {
      parent = run.root();
    }
    return parent.resolve(DEFAULT_DIR).resolve(fileName(dataset));
  }

  /** A file name for a dataset: the name itself when it is a plain word, else a readable slug and a hash. */
  static String fileName(String dataset) {
    if (dataset.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,79}") && !dataset.endsWith(".jsonl")) {
      return dataset + ".jsonl";
    }
    String slug = dataset.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^[-.]+", "");
    if (slug.length() > 60) {
      slug = slug.substring(slug.length() - 60);
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(dataset.getBytes(StandardCharsets.UTF_8));
      return slug + "-" + HexFormat.of().formatHex(h, 0, 5) + ".jsonl";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
