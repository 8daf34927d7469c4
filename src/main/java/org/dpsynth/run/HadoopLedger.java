package org.dpsynth.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.LedgerStore;

/**
 * A dataset's ledger on a distributed file system with an atomic rename that refuses an existing
 * target (HDFS: the NameNode renames atomically), where no process can hold a file lock: a directory
 * of numbered batch files {@code 000000001.json, 000000002.json, …}, each a JSON array of
 * {@link LedgerEntry}.
 *
 * <p>{@link #appendAtomically} is optimistic: it reads every batch, lets the caller decide, writes
 * the decided entries to a temporary file (forced to the DataNodes), and publishes it under the
 * next number with a rename that fails if another process took that number first; then it reads
 * again and decides again. A batch is therefore either absent or whole, the numbers order every
 * append, and a budget check always sees every charge published before its own.
 */
final class HadoopLedger implements LedgerStore {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final int ATTEMPTS = 100;

  private final Path dir;
  private final Configuration conf;
  /** Batches already parsed (published batches never change). */
  private final Map<String, List<LedgerEntry>> batches = new LinkedHashMap<>();

  HadoopLedger(Path dir, Configuration conf) {
    this.dir = Objects.requireNonNull(dir, "dir");
    this.conf = conf;
  }

  @Override
  public String location() {
    return Storage.display(dir);
  }

  @Override
  public synchronized List<LedgerEntry> entries() {
    List<LedgerEntry> out = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (String name : batchNames()) {
      for (LedgerEntry e : batch(name)) {
        if (!ids.add(e.releaseId())) {
          throw new IllegalStateException("privacy ledger " + location() + " batch " + name + " repeats release '" + e.releaseId() + "'");
        }
        out.add(e);
      }
    }
    return out;
  }

  @Override
  public synchronized List<LedgerEntry> appendAtomically(UnaryOperator<List<LedgerEntry>> decide) {
    FileSystem fs = Storage.fs(dir, conf);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      List<String> names = batchNames();
      List<LedgerEntry> recorded = entries();
      List<LedgerEntry> decided = LedgerStore.decided(recorded, decide, location());
      if (decided.isEmpty()) {
        return decided;
      }
      long next = names.isEmpty() ? 1 : Long.parseLong(names.get(names.size() - 1).substring(0, 9)) + 1;
      Path tmp = new Path(new Path(dir, "_tmp"), UUID.randomUUID() + ".json");
      try {
        fs.mkdirs(tmp.getParent());
        try (FSDataOutputStream out = fs.create(tmp, false)) {
          out.write(MAPPER.writeValueAsBytes(decided));
          out.hsync();
        }
        try {
          FileContext.getFileContext(dir.toUri(), conf).rename(tmp, new Path(dir, String.format("%09d.json", next)), Options.Rename.NONE);
          return decided;
        } catch (FileAlreadyExistsException raced) {
          // Another process published this number first: read its charges and decide again.
        } finally {
          fs.delete(tmp, false);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot append to privacy ledger " + location(), e);
      }
    }
    throw new IllegalStateException("privacy ledger " + location() + ": could not append after " + ATTEMPTS + " attempts");
  }

  private List<String> batchNames() {
    try {
      FileSystem fs = Storage.fs(dir, conf);
      if (!fs.exists(dir)) {
        return List.of();
      }
      List<String> names = new ArrayList<>();
      for (FileStatus s : fs.listStatus(dir)) {
        String n = s.getPath().getName();
        if (s.isFile() && n.matches("\\d{9}\\.json")) {
          names.add(n);
        }
      }
      String[] sorted = names.toArray(new String[0]);
      Arrays.sort(sorted);
      return List.of(sorted);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read privacy ledger " + location(), e);
    }
  }

  private List<LedgerEntry> batch(String name) {
    List<LedgerEntry> b = batches.get(name);
    if (b == null) {
      byte[] bytes = Storage.read(new Path(dir, name), conf);
      try {
        b = List.of(MAPPER.readValue(bytes, LedgerEntry[].class));
      } catch (JsonProcessingException | IllegalArgumentException e) {
        throw new IllegalStateException("privacy ledger " + location() + " batch " + name
            + " is not a valid list of entries (malformed JSON, or a missing, unknown or mistyped field)");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read privacy ledger " + location(), e);
      }
      batches.put(name, b);
    }
    return b;
  }
}
