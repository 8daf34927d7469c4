package org.dpsynth.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the user-facing launcher {@code submit/local.sh} as a user would, and slices sample corpora for it. */
public final class LocalScript {
  /** Exit code and combined stdout/stderr of one launch. */
  public record Proc(int code, String out) {}

  private LocalScript() {}

  /** {@code bash submit/local.sh ARGS} with a 2g driver and {@code env} added to the environment. */
  public static Proc run(Map<String, String> env, List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", "submit/local.sh"));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("DPSYNTH_DRIVER_MEMORY", "2g");
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Proc(p.waitFor(), out);
  }

  /** Every {@code n}-th line of the sample file {@code sample} (from the first), written to {@code out}. */
  public static Path everyNth(String sample, int n, Path out) throws IOException {
    List<String> all = Files.readAllLines(Path.of(sample));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < all.size(); i += n) {
      lines.add(all.get(i));
    }
    return Files.write(out, lines);
  }
}
