package org.dpsynth.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.dpsynth.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code --config} is resolved without a cluster (HDFS paths: HdfsMiniClusterIT). */
class JobFilesTest {
  @TempDir Path dir;

  private static final java.util.function.Supplier<org.apache.spark.sql.SparkSession> NO_SESSION =
      () -> { throw new AssertionError("no SparkSession is needed for a local or shipped-and-local config"); };

  @Test
  void aShippedFileIsFoundByNameInEveryListOfShippedFiles() {
    SparkConf conf = new SparkConf(false)
        .set("spark.files", "file:/opt/dpsynth/conf/log4j2.properties,file:/opt/dpsynth/conf/pe-fortunes.yaml")
        .set("spark.yarn.dist.files", "hdfs://nn/x/other.yaml#renamed.yaml");
    assertEquals(Optional.of("file:/opt/dpsynth/conf/pe-fortunes.yaml"), JobFiles.shippedEntry("pe-fortunes.yaml", conf));
    assertEquals(Optional.of("hdfs://nn/x/other.yaml#renamed.yaml"), JobFiles.shippedEntry("renamed.yaml", conf));
    assertEquals(Optional.empty(), JobFiles.shippedEntry("other.yaml", conf), "YARN's alias is the name");
    assertEquals(Optional.empty(), JobFiles.shippedEntry("conf/pe-fortunes.yaml", conf), "a path is never a shipped name");
    assertEquals(Optional.empty(), JobFiles.shippedEntry("missing.yaml", conf));
  }

  @Test
  void localFilesFileUrisAndShippedCopiesResolveToTheFileOnThisMachine() throws Exception {
    Path cfg = Files.writeString(dir.resolve("job.yaml"),
        Files.readString(Path.of("conf/pe-fortunes.yaml")).replace("epsilon: 4.0", "epsilon: 3.0"));
    SparkConf none = new SparkConf(false);
    assertEquals(cfg, JobFiles.config(cfg.toString(), none, NO_SESSION).file());
    assertEquals(cfg, JobFiles.config(cfg.toUri().toString(), none, NO_SESSION).file());
    // Client mode: shipped by cluster.sh and passed by name; the entry is the submitter's own file.
    SparkConf shipped = new SparkConf(false).set("spark.files", cfg.toUri().toString());
    JobFiles.Local local = JobFiles.config("job.yaml", shipped, NO_SESSION);
    assertEquals(cfg.toString(), local.file().toString());
    assertEquals("job.yaml", local.shownAs());
    assertEquals(3.0, org.dpsynth.config.ConfigLoader.load(local.file(), java.util.List.of()).privacy().epsilon());
    // A file of the same name in the working directory is the submitter's, not the shipped one:
    // in client mode it is never taken (the working directory here is the project root).
    SparkConf shippedPom = new SparkConf(false).set("spark.files", cfg.resolveSibling("pom.xml").toUri().toString());
    Files.writeString(cfg.resolveSibling("pom.xml"), "shipped");
    assertEquals(cfg.resolveSibling("pom.xml").toString(), JobFiles.config("pom.xml", shippedPom, NO_SESSION).file().toString());
  }

  @Test
  void aMissingLocalConfigIsNamedByTheLoader() {
    Path absent = dir.resolve("absent.yaml");
    ConfigException e = assertThrows(ConfigException.class, () -> org.dpsynth.config.ConfigLoader.load(
        JobFiles.config(absent.toUri().toString(), new SparkConf(false), NO_SESSION).file(), java.util.List.of()));
    assertTrue(e.getMessage().contains(absent.toString()), e.getMessage());
  }
}
