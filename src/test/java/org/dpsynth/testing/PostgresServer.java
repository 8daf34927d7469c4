package org.dpsynth.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for tests: Debian's {@code postgresql} package (CI's .ci/run
 * installs it), {@code initdb} into a fresh directory, listening on 127.0.0.1 on a free port only
 * (no Unix socket), trust authentication for its one user. PostgreSQL refuses to run as root, so
 * as root the server runs as the package's {@code postgres} system user ({@code runuser}).
 */
public final class PostgresServer implements AutoCloseable {
  public static final String USER = "dpsynth";
  private final Path bin;
  private final Path data;
  private final Path log;
  private final int port;
  private final boolean asPostgresUser;

  private PostgresServer(Path bin, Path data, Path log, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.data = data;
    this.log = log;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /** The directory of initdb/pg_ctl: on PATH, else Debian's newest /usr/lib/postgresql/N/bin. */
  static Path binaries() throws IOException {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "pg_ctl")) && Files.isExecutable(Path.of(dir, "initdb"))) {
        return Path.of(dir, "pg_ctl").toRealPath().getParent();
      }
    }
    Path debian = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(debian)) {
      try (Stream<Path> versions = Files.list(debian)) {
        var newest = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
            .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))));
        if (newest.isPresent()) {
          return newest.get();
        }
      }
    }
    return fail("PostgreSQL is not installed (no pg_ctl/initdb on PATH or in /usr/lib/postgresql/*/bin): "
        + "run `apt-get install -y postgresql` (CI's .ci/run installs it)");
  }

  /** Initialises and starts a server under {@code dir} (which must be empty or absent). */
  public static PostgresServer start(Path dir) throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    Path base = Files.createDirectories(dir.toAbsolutePath());
    Path data = base.resolve("data");
    Path log = base.resolve("postgres.log");
    if (root) {
      // The postgres user must reach the directory: open the path for traversal, hand it the base.
      for (Path p = base; p != null && !p.equals(p.getRoot()); p = p.getParent()) {
        Files.setPosixFilePermissions(p, mergeTraverse(p));
      }
      UserPrincipalLookupService users = base.getFileSystem().getUserPrincipalLookupService();
      Files.setOwner(base, users.lookupPrincipalByName("postgres"));
    }
    PostgresServer s = new PostgresServer(binaries(), data, log, StandaloneSpark.freePort(), root);
    s.run(60, "initdb", "-D", data.toString(), "-U", USER, "--auth=trust", "--encoding=UTF8", "--no-instructions");
    s.run(60, "pg_ctl", "-D", data.toString(), "-l", log.toString(), "-w", "-t", "60",
        "-o", "-p " + s.port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off", "start");
    return s;
  }

  private static java.util.Set<java.nio.file.attribute.PosixFilePermission> mergeTraverse(Path p) throws IOException {
    var perms = Files.getPosixFilePermissions(p);
    perms.addAll(PosixFilePermissions.fromString("--x--x--x"));
    return perms;
  }

  private void run(int timeoutSeconds, String tool, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    if (asPostgresUser) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.add(bin.resolve(tool).toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
      String serverLog = Files.exists(log) ? Files.readString(log) : "";
      fail(String.join(" ", cmd) + " failed:\n" + out + "\n" + serverLog);
    }
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), USER, "");
  }

  @Override
  public void close() throws Exception {
    run(60, "pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop");
  }
}
