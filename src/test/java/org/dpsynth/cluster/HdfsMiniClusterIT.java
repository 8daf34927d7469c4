package org.dpsynth.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.StreamCapabilities;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.testing.SharedClusters;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real HDFS in the test JVM: Hadoop's mini cluster (a NameNode and a DataNode on 127.0.0.1, from
 * hadoop-client-minicluster at the Hadoop version Spark ships). Spark writes and reads Parquet on
 * {@code hdfs://}, small JSON files go through the FileSystem API, and create-exclusive (the
 * primitive a file ledger needs) admits exactly one writer.
 */
class HdfsMiniClusterIT {
  /**
   * The NameNode of the JVM's shared HDFS mini cluster ({@link SharedClusters}). This class keeps
   * to /dpsynth (a bare path here means the default file system's root); the other users of the
   * shared cluster keep to directories named after their classes.
   */
  static String root;

  @BeforeAll
  static void startHdfs() throws Exception {
    root = SharedClusters.nameNode();
  }

  static FileSystem newClient() throws Exception {
    // A separate client per caller, as separate JVMs (driver, other runs) would have.
    return FileSystem.newInstance(URI.create(root), new Configuration());
  }

  @Test
  void sparkWritesAndReadsParquetOnHdfs() throws Exception {
    SparkSession spark = SparkTestSession.get();
    String path = root + "/dpsynth/runs/r1/public/synthetic";
    Dataset<Row> rows = spark.sql("SELECT id, concat('text ', id) AS text, CAST(id % 3 AS STRING) AS label FROM range(500)");
    rows.repartition(3).write().parquet(path);
    Dataset<Row> back = spark.read().parquet(path);
    assertEquals(500, back.count());
    assertEquals(rows.selectExpr("sum(id)").first().getLong(0), back.selectExpr("sum(id)").first().getLong(0));
    try (FileSystem fs = newClient()) {
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path(path + "/_SUCCESS")), "the job committed on HDFS");
      assertTrue(fs.getFileStatus(new org.apache.hadoop.fs.Path(path)).getPath().toUri().getScheme().equals("hdfs"));
    }
  }

  @Test
  void aJsonFileThroughTheFileSystemApiWithHsync() throws Exception {
    org.apache.hadoop.fs.Path manifest = new org.apache.hadoop.fs.Path(root + "/dpsynth/runs/r2/public/manifest.json");
    try (FileSystem fs = newClient()) {
      try (FSDataOutputStream out = fs.create(manifest, false)) {
        out.write("{\"run_id\":\"r2\",\"epsilon\":4.0}".getBytes(StandardCharsets.UTF_8));
        assertTrue(out.hasCapability(StreamCapabilities.HSYNC), "HDFS streams can be forced to the DataNodes' disks");
        out.hsync();
      }
    }
    try (FileSystem fs = newClient(); InputStream in = fs.open(manifest)) {
      JsonNode m = new ObjectMapper().readTree(in);
      assertEquals("r2", m.get("run_id").asText());
      assertEquals(4.0, m.get("epsilon").asDouble());
    }
  }

  @Test
  void aConfigAndPromptTemplatesOnHdfsAreReadOnTheDriverAndShipped() throws Exception {
    try (FileSystem fs = newClient()) {
      try (FSDataOutputStream out = fs.create(new org.apache.hadoop.fs.Path(root + "/dpsynth/conf/job.yaml"), false)) {
        out.write(java.nio.file.Files.readString(Path.of("conf/pe-fortunes.yaml")).replace("epsilon: 4.0", "epsilon: 2.5")
            .getBytes(StandardCharsets.UTF_8));
      }
      try (FSDataOutputStream out = fs.create(new org.apache.hadoop.fs.Path(root + "/dpsynth/prompts/random.txt"), false)) {
        out.write("HDFS-TEMPLATE about {label}".getBytes(StandardCharsets.UTF_8));
      }
    }
    SparkSession spark = SparkTestSession.get();
    org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf(false).set("spark.hadoop.fs.defaultFS", root);
    JobFiles.Local local = JobFiles.config(root + "/dpsynth/conf/job.yaml", conf, () -> spark);
    org.dpsynth.config.JobConfig cfg = org.dpsynth.config.ConfigLoader.load(local.file(), List.of());
    assertEquals(2.5, cfg.privacy().epsilon());
    assertEquals(root + "/dpsynth/conf/job.yaml", local.shownAs());
    // A bare path is on the default file system (here HDFS).
    assertEquals(2.5, org.dpsynth.config.ConfigLoader.load(JobFiles.config("/dpsynth/conf/job.yaml", conf, () -> spark).file(), List.of())
        .privacy().epsilon());
    org.dpsynth.config.ConfigException missing = assertThrows(org.dpsynth.config.ConfigException.class,
        () -> JobFiles.config(root + "/dpsynth/conf/nope.yaml", conf, () -> spark));
    assertTrue(missing.getMessage().contains(root + "/dpsynth/conf/nope.yaml"), missing.getMessage());

    // The templates directory on HDFS: shipped with the job, found by this JVM in Spark's file directory.
    org.dpsynth.config.JobConfig.Generator g = cfg.generator();
    org.dpsynth.config.JobConfig.Generator onHdfs = new org.dpsynth.config.JobConfig.Generator(org.dpsynth.config.JobConfig.ModelType.OPENAI, "http://127.0.0.1:9/v1", "m",
        g.apiKeyEnv(), g.temperature(), g.maxTokens(), g.keywords(), g.promptTemplatesDir(), g.maxConcurrency(),
        g.maxAttempts(), g.timeoutSeconds(), g.mode(), g.publicCorpus(), g.publicFormat(), g.publicTextColumn(),
        g.publicLabelColumn(), g.publicShare(), g.publicNeighbours(), g.publicImageColumn(), g.imageApi(), g.imageSize(), g.imagePrompt(), g.logprobsApi(), g.maxTopLogprobs()).withPromptTemplatesDir(root + "/dpsynth/prompts");
    assertEquals(1, JobFiles.shipPromptTemplates(spark, onHdfs));
    Path here = Path.of(JobFiles.promptTemplatesHere(onHdfs).promptTemplatesDir());
    assertEquals("HDFS-TEMPLATE about {label}", java.nio.file.Files.readString(here.resolve("random.txt")));
  }

  @Test
  void createExclusiveAdmitsOneWriterOnly() throws Exception {
    org.apache.hadoop.fs.Path lock = new org.apache.hadoop.fs.Path(root + "/dpsynth/ledger/fortunes/00001.json");
    try (FileSystem fs = newClient()) {
      fs.create(lock, false).close();
      assertThrows(FileAlreadyExistsException.class, () -> fs.create(lock, false).close(), "the second create(path, false) fails");
    }
    // Eight clients race to create the same file: exactly one wins.
    org.apache.hadoop.fs.Path raced = new org.apache.hadoop.fs.Path(root + "/dpsynth/ledger/fortunes/00002.json");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Boolean>> attempts = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String who = "writer-" + i;
        attempts.add(pool.submit(() -> {
          try (FileSystem fs = newClient()) {
            go.await();
            try (FSDataOutputStream out = fs.create(raced, false)) {
              out.write(who.getBytes(StandardCharsets.UTF_8));
              return true;
            } catch (java.io.IOException e) {
              return false; // FileAlreadyExistsException, or the lease of the winner's open file
            }
          }
        }));
      }
      go.countDown();
      int winners = 0;
      for (Future<Boolean> f : attempts) {
        winners += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertEquals(1, winners);
    } finally {
      pool.shutdownNow();
    }
    try (FileSystem fs = newClient(); InputStream in = fs.open(raced)) {
      assertTrue(new String(in.readAllBytes(), StandardCharsets.UTF_8).startsWith("writer-"));
    }
  }
}
