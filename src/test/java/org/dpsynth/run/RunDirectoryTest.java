package org.dpsynth.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirectoryTest {
  @TempDir Path tmp;

  private static List<Path> filesUnder(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  private static Path local(org.apache.hadoop.fs.Path p) {
    return Path.of(p.toUri());
  }

  /**
   * A commit that fails between writing its bytes and putting them in place (here: the target is
   * a non-empty directory, so the rename fails) leaves nothing under public/: the bytes were only
   * ever in private/tmp/, and that file is removed. (The earlier writer put ".histogram.json.tmp"
   * next to the target, inside public/.)
   */
  @Test
  void aFailedCommitLeavesNothingUnderPublic() throws IOException {
    RunDirectory run = new RunDirectory(tmp.resolve("run"));
    run.create();
    Path target = local(run.histogram(1));
    Files.createDirectories(target.resolve("blocker"));
    Files.writeString(target.resolve("blocker/x"), "in the way");
    assertThrows(UncheckedIOException.class, () -> run.writeJson(run.histogram(1), Map.of("noisy_votes", List.of(1.5, 2.5))));
    assertEquals(List.of(target.resolve("blocker/x")), filesUnder(local(run.publicDir())), "only the blocker is in public/");
    assertTrue(filesUnder(local(run.tmpDir())).isEmpty(), "the temporary file is gone too");
  }

  @Test
  void aCommitIsWholeAndTemporaryFilesOfACrashAreRemovedOnStart() throws IOException {
    RunDirectory run = new RunDirectory(tmp.resolve("run"));
    run.create();
    run.writeJson(run.labelRelease(), Map.of("noisy_counts", List.of(3.0)));
    assertEquals(3.0, run.readJson(run.labelRelease()).path("noisy_counts").get(0).asDouble());
    // No checksum side files next to what we write on the local file system.
    assertTrue(filesUnder(local(run.publicDir())).stream().noneMatch(p -> p.getFileName().toString().endsWith(".crc")));
    // A crash mid-commit leaves a temporary file in private/tmp: the next start removes it.
    Path stale = Files.writeString(local(run.tmpDir()).resolve("left-by-a-crash.tmp"), "{\"noisy\": [");
    new RunDirectory(tmp.resolve("run")).create();
    assertTrue(Files.notExists(stale));
    assertTrue(filesUnder(local(run.publicDir())).stream().noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
  }
}
