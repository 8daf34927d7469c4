package org.dpsynth.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkFiles;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.ConfigException;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.openai.PromptTemplates;

/**
 * Files a job reads that are not data: the job config ({@code --config}) on the driver, and the
 * prompt templates ({@code generator.prompt_templates_dir}) on the driver and every executor.
 * Nothing here relies on a local path the driver and the executors share.
 *
 * <p>A reference is either the name of a file shipped with the job ({@code spark-submit --files};
 * submit/cluster.sh ships a local {@code --config} that way), or a Hadoop path: {@code hdfs://},
 * {@code s3a://}, {@code file://}, ..., and a bare path is on the default file system (the local
 * disk in local mode).
 */
public final class JobFiles {
  /** Settings that list the files shipped with the job, for every cluster manager. */
  static final List<String> SHIPPED_FILES_KEYS = List.of("spark.files", "spark.yarn.dist.files");

  private JobFiles() {}

  /** A file to read on this machine and the name to show in messages (the reference as given). */
  public record Local(Path file, String shownAs) {}

  /**
   * The job config {@code ref} as a local file the driver can read.
   *
   * @param session started only when the file was shipped and Spark has to fetch it (standalone
   *     cluster mode keeps shipped files in the SparkContext's file directory)
   */
  public static Local config(String ref, SparkConf conf, Supplier<SparkSession> session) {
    Optional<String> shipped = shippedEntry(ref, conf);
    if (shipped.isPresent()) {
      return new Local(shippedCopy(ref, shipped.get(), conf, session), ref);
    }
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(ref);
    Configuration hadoop = SparkHadoopUtil.get().newConfiguration(conf);
    try {
      FileSystem fs = path.getFileSystem(hadoop);
      if ("file".equals(fs.getScheme())) {
        return new Local(path.toUri().getScheme() == null ? Path.of(ref) : Path.of(path.toUri()), ref);
      }
      org.apache.hadoop.fs.Path qualified = fs.makeQualified(path);
      if (!fs.isFile(qualified)) {
        throw new ConfigException("Config file not found: " + qualified);
      }
      return new Local(copyToTemp(fs, qualified), qualified.toString());
    } catch (IOException e) {
      throw new ConfigException("Cannot read config file " + ref + ": " + e.getMessage(), e);
    }
  }

  /** The entry of spark.files / spark.yarn.dist.files whose file name is {@code ref}, if {@code ref} is a bare name. */
  static Optional<String> shippedEntry(String ref, SparkConf conf) {
    if (ref.contains("/") || ref.contains(":")) {
      return Optional.empty();
    }
    for (String key : SHIPPED_FILES_KEYS) {
      for (String entry : conf.get(key, "").split(",")) {
        if (!entry.isBlank() && shippedName(entry.strip()).equals(ref)) {
          return Optional.of(entry.strip());
        }
      }
    }
    return Optional.empty();
  }

  /** The name a shipped file has on the cluster: YARN's {@code #alias}, else the last path segment. */
  static String shippedName(String entry) {
    URI uri = URI.create(entry.replace(" ", "%20"));
    if (uri.getFragment() != null) {
      return uri.getFragment();
    }
    String path = uri.getPath() == null ? entry : uri.getPath();
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private static Path shippedCopy(String name, String entry, SparkConf conf, Supplier<SparkSession> session) {
    boolean clusterMode = "cluster".equals(conf.get("spark.submit.deployMode", "client"));
    // YARN and Kubernetes cluster mode put shipped files in the driver's working directory. In client
    // mode the working directory is the submitter's, where a file of that name may be another one.
    Path here = Path.of(name);
    if (clusterMode && Files.isRegularFile(here)) {
      return here;
    }
    // Client mode: the entry is the submitter's own file (or an hdfs:// one), readable from here.
    Optional<Path> direct = readable(entry, conf);
    if (direct.isPresent()) {
      return direct.get();
    }
    // Standalone cluster mode: the SparkContext fetches shipped files when it starts.
    session.get();
    Path fetched = Path.of(SparkFiles.get(name));
    if (Files.isRegularFile(fetched)) {
      return fetched;
    }
    throw new ConfigException("Config file " + name + " was shipped with the job (" + entry
        + ") but is neither in the working directory, readable at that address, nor fetched by Spark");
  }

  /** The shipped entry as a file on this machine (a temporary copy of a remote one), if it can be read from here. */
  private static Optional<Path> readable(String entry, SparkConf conf) {
    try {
      URI uri = URI.create(entry.replace(" ", "%20"));
      org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(new URI(uri.getScheme(), uri.getAuthority(), uri.getPath(), null, null));
      FileSystem fs = path.getFileSystem(SparkHadoopUtil.get().newConfiguration(conf));
      if (fs.isFile(path)) {
        return Optional.of("file".equals(fs.getScheme()) ? Path.of(path.toUri().getPath()) : copyToTemp(fs, path));
      }
    } catch (IOException | java.net.URISyntaxException | IllegalArgumentException e) {
      // not readable from here
    }
    return Optional.empty();
  }

  private static Path copyToTemp(FileSystem fs, org.apache.hadoop.fs.Path path) throws IOException {
    Path dir = Files.createTempDirectory("dpsynth-config");
    Path local = dir.resolve(path.getName());
    try (InputStream in = fs.open(path)) {
      Files.copy(in, local);
    }
    local.toFile().deleteOnExit();
    dir.toFile().deleteOnExit();
    return local;
  }

  // ------------------------------------------------------------------ prompt templates

  /**
   * Ships the prompt files of {@code generator.prompt_templates_dir} (a local directory of the
   * driver or any Hadoop path) with the job, so that executors read them whatever their working
   * directory; returns how many files were shipped.
   */
  public static int shipPromptTemplates(SparkSession spark, JobConfig.Generator generator) {
    String dir = generator.promptTemplatesDir();
    if (generator.type() != JobConfig.ModelType.OPENAI || dir == null || dir.isBlank()) {
      return 0;
    }
    List<String> uris = new ArrayList<>();
    try {
      if (Files.isDirectory(Path.of(dir))) {
        for (String name : PromptTemplates.FILES) {
          Path f = Path.of(dir).resolve(name);
          if (Files.isRegularFile(f)) {
            uris.add(f.toAbsolutePath().toUri().toString());
          }
        }
      } else {
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(dir);
        FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (!fs.getFileStatus(root).isDirectory()) {
          throw new ConfigException("generator.prompt_templates_dir: not a directory: " + dir);
        }
        for (String name : PromptTemplates.FILES) {
          org.apache.hadoop.fs.Path f = fs.makeQualified(new org.apache.hadoop.fs.Path(root, name));
          if (fs.isFile(f)) {
            uris.add(f.toString());
          }
        }
      }
    } catch (java.io.FileNotFoundException e) {
      throw new ConfigException("generator.prompt_templates_dir: not found: " + dir);
    } catch (IOException e) {
      throw new UncheckedIOException("generator.prompt_templates_dir: cannot list " + dir, e);
    }
    uris.forEach(spark.sparkContext()::addFile);
    return uris.size();
  }

  /**
   * {@code generator} as this JVM must use it: a prompt templates directory that does not exist
   * here (an executor in another working directory or on another host, or a Hadoop path) is
   * replaced by the directory where Spark keeps the files shipped with the job.
   */
  public static JobConfig.Generator promptTemplatesHere(JobConfig.Generator g) {
    String dir = g.promptTemplatesDir();
    if (dir == null || dir.isBlank() || Files.isDirectory(Path.of(dir))) {
      return g;
    }
    String shipped = SparkFiles.getRootDirectory();
    boolean any = PromptTemplates.FILES.stream().anyMatch(n -> Files.isRegularFile(Path.of(shipped, n)));
    if (!any) {
      return g;
    }
    return g.withPromptTemplatesDir(Path.of(shipped).toAbsolutePath().toString());
  }
}
