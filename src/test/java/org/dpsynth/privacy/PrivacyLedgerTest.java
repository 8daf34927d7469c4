package org.dpsynth.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import org.dpsynth.privacy.GaussianAccountant.GaussianRelease;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivacyLedgerTest {

  @TempDir Path dir;

  private static LedgerEntry entry(String id, double sigma, long steps, String dataset) {
    return LedgerEntry.gaussian(
        id, sigma, 1.0, steps, "run-1", dataset, Instant.parse("2025-03-01T10:15:30Z"));
  }

  @Test
  void appendsOneLinePerReleaseAndReadsThemBack() throws IOException {
    Path file = dir.resolve("sub/ledger.jsonl");
    PrivacyLedger ledger = PrivacyLedger.open(file);
    assertTrue(ledger.entries().isEmpty());
    assertEquals(0.0, ledger.totalEpsilon(1e-5));
    LedgerEntry a = entry("r1", 2 * Math.sqrt(2), 5, "corpus-a");
    ledger.append(a);
    ledger.append(entry("r2", 3.0, 1, "corpus-b"));
    List<String> lines = Files.readAllLines(file);
    assertEquals(2, lines.size());
    assertTrue(lines.get(0).startsWith("{\"releaseId\":\"r1\",\"mechanism\":\"gaussian\""));
    PrivacyLedger again = PrivacyLedger.open(file);
    assertEquals(ledger.entries(), again.entries());
    assertEquals(a, again.entries().get(0));
    assertTrue(again.contains("r2"));
    assertFalse(again.contains("r3"));
    assertEquals(0, again.tornLinesIgnored());
  }

  @Test
  void totalEpsilonComposesEveryEntryAndFiltersByDataset() {
    PrivacyLedger ledger = PrivacyLedger.open(dir.resolve("l.jsonl"));
    double sigma = 2 * Math.sqrt(2);
    for (int i = 0; i < 5; i++) {
      ledger.append(entry("a" + i, sigma, 1, "corpus-a"));
    }
    ledger.append(entry("b0", 1.0, 3, "corpus-b"));
    double epsA = ledger.totalEpsilon("corpus-a", 1e-5);
    assertEquals(3.341, epsA, 0.01); // five releases at σ = 2√2: the known value
    assertEquals(
        GaussianAccountant.epsilon(List.of(new GaussianRelease(sigma, 1, 5)), 1e-5), epsA, 1e-12);
    double all = ledger.totalEpsilon(1e-5);
    assertEquals(
        GaussianAccountant.epsilon(
            List.of(new GaussianRelease(sigma, 1, 5), new GaussianRelease(1, 1, 3)), 1e-5),
        all,
        1e-12);
    assertTrue(all > epsA);
    assertEquals(0.0, ledger.totalEpsilon("nobody", 1e-5));
  }

  @Test
  void duplicateReleaseIdIsRefusedAndNotWritten() throws IOException {
    Path file = dir.resolve("l.jsonl");
    PrivacyLedger ledger = PrivacyLedger.open(file);
    ledger.append(entry("iter-001", 4, 1, "d"));
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> ledger.append(entry("iter-001", 9, 1, "d")));
    assertTrue(e.getMessage().contains("iter-001"));
    assertEquals(1, Files.readAllLines(file).size());
    // A second handle on the same file sees the first one's entry before writing (re-read under
    // the lock), so two drivers cannot both charge — or both skip — the same release.
    PrivacyLedger other = PrivacyLedger.open(file);
    ledger.append(entry("iter-002", 4, 1, "d"));
    assertThrows(IllegalStateException.class, () -> other.append(entry("iter-002", 4, 1, "d")));
    other.append(entry("iter-003", 4, 1, "d"));
    assertEquals(3, PrivacyLedger.open(file).entries().size());
    assertEquals(3, other.entries().size());
  }

  /** A ledger file holding the releases {@code ids} (epsilon-4 Gaussian entries on dataset d). */
  private Path ledgerWith(String... ids) throws IOException {
    Path file = dir.resolve("l.jsonl");
    PrivacyLedger ledger = PrivacyLedger.open(file);
    for (String id : ids) {
      ledger.append(entry(id, 4, 1, "d"));
    }
    return file;
  }

  @Test
  void tornFinalLineIsIgnoredCountedAndCutBeforeTheNextAppend() throws IOException {
    Path file = ledgerWith("r1", "r2");
    String full = Files.readString(file);
    String secondLine = full.substring(full.indexOf('\n') + 1);
    // Crash mid-append of r2: only part of its line reached the disk.
    Files.writeString(file, full.substring(0, full.indexOf('\n') + 1)
        + secondLine.substring(0, secondLine.length() / 2));
    PrivacyLedger reopened = PrivacyLedger.open(file);
    assertEquals(1, reopened.entries().size());
    assertEquals(1, reopened.tornLinesIgnored());
    assertFalse(reopened.contains("r2"));
    reopened.append(entry("r3", 4, 1, "d"));
    assertEquals(1, reopened.tornLinesIgnored(), "the same torn tail is not counted twice");
    PrivacyLedger clean = PrivacyLedger.open(file);
    assertEquals(List.of("r1", "r3"), clean.entries().stream().map(LedgerEntry::releaseId).toList());
    assertEquals(0, clean.tornLinesIgnored());
    assertEquals(2, Files.readAllLines(file).size());
  }

  @Test
  void completeFinalLineWithoutNewlineIsKept() throws IOException {
    Path file = ledgerWith("r1");
    String text = Files.readString(file);
    Files.writeString(file, text.substring(0, text.length() - 1)); // drop the newline only
    PrivacyLedger reopened = PrivacyLedger.open(file);
    assertTrue(reopened.contains("r1"), "counting it is the conservative choice");
    reopened.append(entry("r2", 4, 1, "d"));
    assertEquals(2, Files.readAllLines(file).size());
    assertEquals(2, PrivacyLedger.open(file).entries().size());
  }

  @Test
  void malformedMiddleLineNamesFileAndLineWithoutEchoingContent() throws IOException {
    Path file = ledgerWith("r1", "r2");
    List<String> lines = Files.readAllLines(file);
    String secret = "SECRET-USER-TEXT";
    Files.write(file, List.of(lines.get(0), "{\"releaseId\": \"" + secret, lines.get(1)));
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> PrivacyLedger.open(file));
    assertTrue(e.getMessage().contains(file.toString()));
    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    assertFalse(e.getMessage().contains(secret));

    // Valid JSON that fails validation names the field; unknown or mistyped fields are refused.
    Files.write(file, List.of(lines.get(0).replace("\"steps\":1", "\"steps\":0"), lines.get(1)));
    IllegalStateException steps =
        assertThrows(IllegalStateException.class, () -> PrivacyLedger.open(file));
    assertTrue(steps.getMessage().contains("line 1") && steps.getMessage().contains("steps"));
    Files.write(file, List.of(lines.get(0).replace("{", "{\"" + secret + "\":1,"), lines.get(1)));
    IllegalStateException unknown =
        assertThrows(IllegalStateException.class, () -> PrivacyLedger.open(file));
    assertFalse(unknown.getMessage().contains(secret));
    Files.write(file, List.of(lines.get(0).replace("\"steps\":1", "\"steps\":1.5"), lines.get(1)));
    assertThrows(IllegalStateException.class, () -> PrivacyLedger.open(file));
    Files.write(file, List.of(lines.get(0).replace(",\"dataset\":\"d\"", ""), lines.get(1)));
    assertThrows(IllegalStateException.class, () -> PrivacyLedger.open(file));
    Files.write(file, List.of(lines.get(0), lines.get(0)));
    IllegalStateException dup =
        assertThrows(IllegalStateException.class, () -> PrivacyLedger.open(file));
    assertTrue(dup.getMessage().contains("line 2") && dup.getMessage().contains("r1"));
  }

  @Test
  void entriesAreValidated() {
    Instant t = Instant.now();
    assertThrows(IllegalArgumentException.class, () -> LedgerEntry.gaussian(" ", 1, 1, 1, "r", "d", t));
    assertThrows(IllegalArgumentException.class, () -> LedgerEntry.gaussian("x", 0, 1, 1, "r", "d", t));
    assertThrows(IllegalArgumentException.class, () -> LedgerEntry.gaussian("x", 1, -1, 1, "r", "d", t));
    assertThrows(IllegalArgumentException.class, () -> LedgerEntry.gaussian("x", 1, 1, 0, "r", "d", t));
    assertThrows(IllegalArgumentException.class,
        () -> new LedgerEntry("x", "laplace", 1, 1, 1, "r", "d", t.toString()));
    IllegalArgumentException time = assertThrows(IllegalArgumentException.class,
        () -> new LedgerEntry("x", "gaussian", 1, 1, 1, "r", "d", "yesterday"));
    assertTrue(time.getMessage().contains("ISO-8601"));
    new LedgerEntry("x", "gaussian", 1, 1, 1, "r", "d", "2025-01-31T12:00:00+01:00");
  }

  @Test
  void appendForcesAWholeLineEvenAfterExternalAppends() throws IOException {
    Path file = dir.resolve("l.jsonl");
    PrivacyLedger ledger = PrivacyLedger.open(file);
    ledger.append(entry("r1", 4, 1, "d"));
    // Another writer appends behind our back; we pick it up on our next append.
    String foreign = new com.fasterxml.jackson.databind.ObjectMapper()
        .writeValueAsString(entry("x1", 4, 1, "d")) + "\n";
    Files.writeString(file, foreign, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    ledger.append(entry("r2", 4, 1, "d"));
    assertTrue(ledger.contains("x1"));
    assertEquals(List.of("r1", "x1", "r2"),
        PrivacyLedger.open(file).entries().stream().map(LedgerEntry::releaseId).toList());
  }
}
