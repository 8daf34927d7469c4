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

/**
 * The privacy budget ledger: an append-only JSON Lines file with one {@link LedgerEntry} per
 * noisy release, composed with {@link GaussianAccountant} (Gaussian DP, Dong–Roth–Su).
 *
 * <p>Protocol: append the entry <em>before</em> the noisy value is used or written anywhere.
 * {@link #append} returns only after the line is forced to disk, under an exclusive file lock,
 * after re-reading lines other processes appended, and it refuses a releaseId already present.
 * Because entries are written before use, a torn final line (a crash mid-append) belongs to a
 * release that was never used: it is ignored (counted in {@link #tornLinesIgnored()}) and cut off
 * before the next append. A complete final line that only lacks its newline is kept (the
 * conservative choice). Any malformed line before the last is an error naming the file and line
 * number; line contents are never echoed.
 */
public final class PrivacyLedger {

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

  /**
   * Appends one entry durably (written and forced to disk before returning).
   *
   * @throws IllegalStateException if an entry with the same releaseId is already in the ledger
   */
  public synchronized void append(LedgerEntry entry) {
    Objects.requireNonNull(entry, "entry");
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      boolean created = !Files.exists(file);
      try (FileChannel ch =
              FileChannel.open(
                  file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                  StandardOpenOption.WRITE);
          FileLock lock = ch.lock()) {
        readNew(ch); // lines other writers added since we last looked
        if (ids.contains(entry.releaseId())) {
          throw new IllegalStateException(
              "release '" + entry.releaseId() + "' is already in the privacy ledger " + file);
        }
        if (ch.size() > consumed) {
          ch.truncate(consumed); // drop a torn tail before writing after it
        }
        String line = (missingNewline ? "\n" : "") + MAPPER.writeValueAsString(entry) + "\n";
        ByteBuffer buf = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        long pos = consumed;
        while (buf.hasRemaining()) {
          pos += ch.write(buf, pos);
        }
        ch.force(true);
        consumed = pos;
        linesConsumed++;
        missingNewline = false;
        entries.add(entry);
        ids.add(entry.releaseId());
      }
      if (created && parent != null) {
        forceDirectory(parent);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to privacy ledger " + file, e);
    }
  }

  /** Entries in file order. */
  public synchronized List<LedgerEntry> entries() {
    return List.copyOf(entries);
  }

  public synchronized boolean contains(String releaseId) {
    return ids.contains(releaseId);
  }

  /** Torn final lines ignored so far (each torn tail counted once). */
  public synchronized int tornLinesIgnored() {
    return tornLines;
  }

  /**
   * ε at the given δ of everything in the ledger: composed exactly as Gaussian DP when every
   * release is a plain Gaussian one, else with {@link SubsampledGaussianAccountant} (the smaller
   * of the PLD and RDP bounds; plain releases as q = 1).
   */
  public synchronized double totalEpsilon(double delta) {
    return compose(entries, delta);
  }

  private static double compose(List<LedgerEntry> selected, double delta) {
    if (selected.stream().anyMatch(LedgerEntry::subsampled)) {
      return SubsampledGaussianAccountant.epsilon(
          selected.stream().map(LedgerEntry::subsampledRelease).toList(), delta);
    }
    return GaussianAccountant.epsilon(selected.stream().map(LedgerEntry::release).toList(), delta);
  }

  /** ε at the given δ of the entries for one dataset. */
  public synchronized double totalEpsilon(String dataset, double delta) {
    Objects.requireNonNull(dataset, "dataset");
    return compose(entries.stream().filter(e -> e.dataset().equals(dataset)).toList(), delta);
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
