package org.dpsynth.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's headless Chromium for tests that look at a page as a person would. It runs with a proxy
 * on a dead loopback port and a resolver that resolves nothing, so any remote load a page tries
 * fails instead of reaching the network. A missing browser fails the test (CI installs it).
 */
public final class HeadlessChromium {
  private static final Pattern REMOTE = Pattern.compile(
      "(?i)(?:\\b(?:src|href|action|poster|srcset|data)\\s*=\\s*[\"']?\\s*(?:[a-z][a-z0-9+.-]*:)?//)"
          + "|(?:url\\(\\s*[\"']?\\s*(?:[a-z][a-z0-9+.-]*:)?//)|(?:@import)");

  private HeadlessChromium() {}

  /** The browser binary; fails the calling test with instructions when there is none. */
  public static String binary() {
    for (String candidate : new String[] {System.getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
      if (candidate != null && Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    return fail("headless Chromium is not installed (looked for $CHROMIUM, /usr/bin/chromium, /usr/bin/chromium-browser): "
        + "run `apt-get install -y chromium` (CI's .ci/run installs it)");
  }

  /** Attribute values and CSS references in {@code html} that point to another host (http:, https:, //host). */
  public static List<String> remoteReferences(String html) {
    List<String> out = new ArrayList<>();
    Matcher m = REMOTE.matcher(html);
    while (m.find()) {
      out.add(html.substring(Math.max(0, m.start() - 20), Math.min(html.length(), m.end() + 40)));
    }
    return out;
  }

  public static void screenshot(Path html, Path png, int width, int height, Path scratch) {
    run(scratch, "--window-size=" + width + "," + height, "--screenshot=" + png, html.toUri().toString());
  }

  public static String dumpDom(Path html, Path scratch) {
    return run(scratch, "--dump-dom", html.toUri().toString());
  }

  private static String run(Path scratch, String... args) {
    List<String> cmd = new ArrayList<>(List.of(binary(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars"));
    try {
      Path profile = Files.createTempDirectory(scratch, "chromium-profile");
      cmd.add("--user-data-dir=" + profile);
      cmd.addAll(List.of(args));
      Path stdout = Files.createTempFile(scratch, "chromium", ".out");
      Path stderr = Files.createTempFile(scratch, "chromium", ".err");
      Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("chromium did not finish in 120 s: " + String.join(" ", cmd));
      }
      if (p.exitValue() != 0) {
        fail("chromium exited with " + p.exitValue() + ": " + Files.readString(stderr, StandardCharsets.UTF_8));
      }
      return Files.readString(stdout, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return fail("cannot run chromium", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted", e);
    }
  }
}
