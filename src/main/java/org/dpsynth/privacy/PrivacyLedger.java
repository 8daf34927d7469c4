package org.dpsynth.privacy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The privacy budget ledger on a local file system ({@link LedgerStore}): an append-only JSON Lines
 * file with one {@link LedgerEntry} per noisy release, composed by {@link PrivacyBudget#epsilon}.
 *
 * <p>Protocol: append the entry <em>before</em> the noisy value is drawn. {@link #appendAtomically}
 * holds an exclusive file lock while it re-reads lines other processes appended, lets the caller
 * decide (e.g. a budget check), writes the decided lines and forces them to disk; it refuses a
 * releaseId already present.
 * Because entries are written before use, a torn final line (a crash mid-append) belongs to a
 * release that was never used: it is ignored (counted in {@link #tornLinesIgnored()}) and cut off
 * before the next append. A complete final line that only lacks its newline is kept (the
 * conservative choice). Any malformed line before the last is an error naming the file and line
 * number; line contents are never echoed.
 */
public final class PrivacyLedger implements LedgerStore {

  private static final System.Logger LOG = System.getLogger(PrivacyLedger.class.getName());

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          // Not FAIL_ON_MISSING_CREATOR_PROPERTIES: older lines lack the optional samplingRate; a
          // missing required field still fails LedgerEntry's validation (0 / null is rejected).
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

  private final Path file;
  private final List<LedgerEntry> entries = new ArrayList<>();
  private final Set<String> ids = new HashSet<>();
  /** Bytes of the file consumed as complete entries (through the last newline, or a kept tail). */
  private long consumed;
  /** Lines consumed, for error messages. */
  private long linesConsumed;
  /** The kept final line has no newline yet; the next append must write one first. */
  private boolean missingNewline;
  private int tornLines;
  /** Offset of the torn tail already counted, so re-reading it does not count it twice. */
  private long tornCountedAt = -1;

  private PrivacyLedger(Path file) {
    this.file = file;
  }

  /** Opens (reads) the ledger at {@code file}; a missing file is an empty ledger. */
  public static PrivacyLedger open(Path file) {
    PrivacyLedger ledger = new PrivacyLedger(Objects.requireNonNull(file, "file"));
    if (Files.exists(file)) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        ledger.readNew(ch);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read privacy ledger " + file, e);
      }
    }
    return ledger;
  }

  public Path file() {
    return file;
  }

  @Override
  public String location() {
    return file.toString();
  }

  @Override
  public synchronized List<LedgerEntry> appendAtomically(UnaryOperator<List<LedgerEntry>> decide) {
    Objects.requireNonNull(decide, "decide");
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      boolean created = !Files.exists(file);
      List<LedgerEntry> decided;
      try (FileChannel ch =
              FileChannel.open(
                  file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                  StandardOpenOption.WRITE);
          FileLock lock = ch.lock()) {
        readNew(ch); // lines other writers added since we last looked
        decided = LedgerStore.decided(entries, decide, location());
        if (decided.isEmpty()) {
          return decided;
        }
        if (ch.size() > consumed) {
          ch.truncate(consumed); // drop a torn tail before writing after it
        }
        StringBuilder lines = new StringBuilder(missingNewline ? "\n" : "");
        for (LedgerEntry entry : decided) {
          lines.append(MAPPER.writeValueAsString(entry)).append('\n');
        }
        ByteBuffer buf = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
        long pos = consumed;
        while (buf.hasRemaining()) {
          pos += ch.write(buf, pos);
        }
        ch.force(true);
        consumed = pos;
        linesConsumed += decided.size();
        missingNewline = false;
        for (LedgerEntry entry : decided) {
          entries.add(entry);
          ids.add(entry.releaseId());
        }
      }
      if (created && parent != null) {
        forceDirectory(parent);
      }
      return decided;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to privacy ledger " + file, e);
    }
  }

  /** Re-reads lines other processes appended, then returns every entry in file order. */
  @Override
  public synchronized List<LedgerEntry> entries() {
    if (Files.exists(file)) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        readNew(ch);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read privacy ledger " + file, e);
      }
    }
    return List.copyOf(entries);
  }

  @Override
  public synchronized boolean contains(String releaseId) {
    entries();
    return ids.contains(releaseId);
  }

  /** Torn final lines ignored so far (each torn tail counted once). */
  public synchronized int tornLinesIgnored() {
    return tornLines;
  }

  /** ε at the given δ of everything in the ledger ({@link PrivacyBudget#epsilon}). */
  public double totalEpsilon(double delta) {
    return PrivacyBudget.epsilon(entries(), delta);
  }

  /** ε at the given δ of the entries for one dataset. */
  public double totalEpsilon(String dataset, double delta) {
    Objects.requireNonNull(dataset, "dataset");
    return PrivacyBudget.epsilon(entries().stream().filter(e -> e.dataset().equals(dataset)).toList(), delta);
  }

  /** Parses bytes after {@link #consumed}; complete lines must parse, a torn tail is set aside. */
  private void readNew(FileChannel ch) throws IOException {
    long size = ch.size();
    if (size <= consumed) {
      return;
    }
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(size - consumed));
    long pos = consumed;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        break;
      }
      pos += n;
    }
    byte[] bytes = buf.array();
    int start = 0;
    if (missingNewline) {
      // The kept tail's newline is still missing; if another writer's bytes follow, the file is
      // corrupt anyway and the next parse reports it.
      missingNewline = false;
    }
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        consumeLine(bytes, start, i, false);
        consumed += i + 1 - start;
        start = i + 1;
      }
    }
    if (start < bytes.length) {
      // Final line without newline: keep it if it is a complete entry, else it is torn.
      if (consumeLine(bytes, start, bytes.length, true)) {
        consumed += bytes.length - start;
        missingNewline = true;
      } else if (tornCountedAt != consumed) {
        tornCountedAt = consumed;
        tornLines++;
        LOG.log(
            System.Logger.Level.WARNING,
            "privacy ledger {0}: ignoring a torn final line ({1} bytes) left by an interrupted append",
            file,
            bytes.length - start);
      }
    }
  }

  /** Returns false only for an unparsable final line (when {@code last}); otherwise throws. */
  private boolean consumeLine(byte[] bytes, int from, int to, boolean last) {
    long lineNumber = linesConsumed + 1;
    String text = new String(bytes, from, to - from, StandardCharsets.UTF_8);
    if (text.isBlank()) {
      if (!last) {
        linesConsumed++;
      }
      return last ? false : true;
    }
    LedgerEntry entry;
    try {
      entry = MAPPER.readValue(text, LedgerEntry.class);
      if (entry == null) {
        throw new IllegalArgumentException("null entry");
      }
    } catch (JsonProcessingException | IllegalArgumentException e) {
      if (last) {
        return false;
      }
      throw new IllegalStateException(
          "privacy ledger " + file + " line " + lineNumber + " is not a valid entry" + reason(e));
    }
    if (ids.contains(entry.releaseId())) {
      throw new IllegalStateException(
          "privacy ledger " + file + " line " + lineNumber + " repeats release '"
              + entry.releaseId() + "'");
    }
    entries.add(entry);
    ids.add(entry.releaseId());
    linesConsumed++;
    return true;
  }

  /** Our own validation messages name the field; Jackson's may quote content, so omit them. */
  private static String reason(Exception e) {
    if (e instanceof ValueInstantiationException
        && e.getCause() instanceof IllegalArgumentException cause) {
      return ": " + cause.getMessage();
    }
    if (e instanceof IllegalArgumentException) {
      return ": " + e.getMessage();
    }
    return " (malformed JSON, or a missing, unknown or mistyped field)";
  }

  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Not all platforms can fsync a directory; the file itself is already forced.
    }
  }
}
