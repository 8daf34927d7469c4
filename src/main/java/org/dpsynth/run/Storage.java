package org.dpsynth.run;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * Files of runs and ledgers on any Hadoop file system (docs/design.md: every path is a Hadoop
 * FileSystem URI, a bare path means the default file system), with one commit rule per kind of
 * store:
 *
 * <ul>
 *   <li>{@code file}: written and forced under a temporary directory, then an atomic rename
 *       (POSIX rename) into place;
 *   <li>{@code hdfs}, {@code viewfs}, {@code webhdfs}, {@code abfs(s)}: the same through the
 *       store's atomic rename with overwrite (the NameNode, or ADLS Gen2 with a hierarchical
 *       namespace);
 *   <li>object stores ({@code s3a}, {@code gs}, others): no atomic rename, so the final object
 *       is written directly; it becomes visible only when its upload completes, whole or not at
 *       all.
 * </ul>
 *
 * Local files are read and written without Hadoop's checksum side files ({@code .crc}).
 */
public final class Storage {
  /** Schemes whose rename is atomic and may replace the target. */
  private static final Set<String> RENAMING = Set.of("file", "hdfs", "viewfs", "webhdfs", "swebhdfs", "abfs", "abfss");

  private Storage() {}

  /** A fully qualified path for a location: a URI, or a bare path on the default file system. */
  public static Path qualify(String location, Configuration conf) {
    Path p = new Path(location);
    try {
      return p.getFileSystem(conf).makeQualified(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + location, e);
    }
  }

  /** A local java path as a Hadoop path. */
  public static Path of(java.nio.file.Path local) {
    return new Path(local.toAbsolutePath().normalize().toUri());
  }

  public static boolean isLocal(Path p) {
    return "file".equals(scheme(p));
  }

  /** True for stores whose rename is atomic (commits go through a temporary file). */
  public static boolean renamesAtomically(Path p) {
    return RENAMING.contains(scheme(p));
  }

  static String scheme(Path p) {
    String s = p.toUri().getScheme();
    return s == null ? "file" : s.toLowerCase(Locale.ROOT);
  }

  /** The file system of {@code p}; for local paths the raw one (no .crc side files). */
  public static FileSystem fs(Path p, Configuration conf) {
    try {
      FileSystem fs = p.getFileSystem(conf);
      return fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the file system of " + p, e);
    }
  }

  public static boolean exists(Path p, Configuration conf) {
    try {
      return fs(p, conf).exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + p, e);
    }
  }

  public static boolean isFile(Path p, Configuration conf) {
    try {
      return fs(p, conf).getFileStatus(p).isFile();
    } catch (java.io.FileNotFoundException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + p, e);
    }
  }

  public static byte[] read(Path p, Configuration conf) {
    try (InputStream in = fs(p, conf).open(p)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  public static void mkdirs(Path dir, Configuration conf) {
    try {
      fs(dir, conf).mkdirs(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  /** Deletes every file directly under {@code dir} (temporary files of interrupted commits). */
  public static void clear(Path dir, Configuration conf) {
    try {
      FileSystem fs = fs(dir, conf);
      if (fs.exists(dir)) {
        for (FileStatus s : fs.listStatus(dir)) {
          fs.delete(s.getPath(), false);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear " + dir, e);
    }
  }

  /**
   * Makes {@code bytes} the content of {@code target} in one atomic, durable step: through a
   * temporary file under {@code tmpDir} (same file system) and a rename where the store renames
   * atomically, else by writing the object directly.
   */
  public static void commit(Path target, byte[] bytes, Path tmpDir, Configuration conf) {
    try {
      if (isLocal(target)) {
        commitLocal(java.nio.file.Path.of(target.toUri()), bytes, java.nio.file.Path.of(tmpDir.toUri()));
        return;
      }
      FileSystem fs = fs(target, conf);
      if (!renamesAtomically(target)) {
        try (FSDataOutputStream out = fs.create(target, true)) {
          out.write(bytes);
        }
        return;
      }
      fs.mkdirs(tmpDir);
      fs.mkdirs(target.getParent());
      Path tmp = new Path(tmpDir, UUID.randomUUID() + ".tmp");
      try {
        try (FSDataOutputStream out = fs.create(tmp, false)) {
          out.write(bytes);
          out.hsync();
        }
        FileContext.getFileContext(target.toUri(), conf).rename(tmp, target, Options.Rename.OVERWRITE);
      } finally {
        fs.delete(tmp, false);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    }
  }

  private static void commitLocal(java.nio.file.Path file, byte[] bytes, java.nio.file.Path tmpDir) throws IOException {
    Files.createDirectories(tmpDir);
    Files.createDirectories(file.toAbsolutePath().getParent());
    java.nio.file.Path tmp = tmpDir.resolve(UUID.randomUUID() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    try (FileChannel ch = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Not every platform can fsync a directory; the file itself is already forced.
    }
  }

  /** A URI for messages: no user info (credentials) in it. */
  public static String display(Path p) {
    URI u = p.toUri();
    if (u.getUserInfo() == null) {
      return p.toString();
    }
    return new Path(u.getScheme(), u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : ""), u.getPath()).toString();
  }
}
