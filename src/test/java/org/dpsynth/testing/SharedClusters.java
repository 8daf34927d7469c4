package org.dpsynth.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * One real Spark standalone cluster (a Master and two Workers on 127.0.0.1) and one real HDFS
 * (Hadoop's mini cluster) per test JVM, started on first use and shared by the integration tests
 * that need them, instead of one of each per test class: starting them is a large part of the
 * integration tests' time on a 2-core CI machine. {@link StopSparkAtEnd} stops both after the last
 * test of the JVM (a shutdown hook too, should the session not close).
 *
 * <p>Sharing is safe because every user keeps to its own names: runs and ledgers on HDFS under a
 * directory named after the test class ({@link #hdfsRoot(Class)}), applications on the cluster one
 * at a time (JUnit runs the classes sequentially). The Worker JVMs never have
 * {@value #HIDDEN_FROM_WORKERS} in their environment: ClusterSubmissionIT checks that executors get
 * it only through {@code spark.executorEnv}.
 */
public final class SharedClusters {
  /** The variable the Worker JVMs do not inherit (ClusterSubmissionIT's API key). */
  public static final String HIDDEN_FROM_WORKERS = "DPSYNTH_TEST_API_KEY";

  private static Path dir;
  private static StandaloneSpark spark;
  private static MiniDFSCluster hdfs;
  private static boolean hooked;

  private SharedClusters() {}

  private static Path dir() throws IOException {
    if (dir == null) {
      dir = Files.createTempDirectory("dpsynth-shared-clusters");
    }
    if (!hooked) {
      Runtime.getRuntime().addShutdownHook(new Thread(SharedClusters::stop, "stop-shared-clusters"));
      hooked = true;
    }
    return dir;
  }

  /** The shared standalone cluster: a Master and two Workers (1 core, 2 GB each), started on first use. */
  public static synchronized StandaloneSpark spark() throws Exception {
    if (spark == null) {
      spark = StandaloneSpark.start(Files.createDirectories(dir().resolve("spark")), 2, HIDDEN_FROM_WORKERS);
    }
    return spark;
  }

  /** The shared HDFS mini cluster (a NameNode and one DataNode on 127.0.0.1), started on first use. */
  public static synchronized MiniDFSCluster hdfs() throws Exception {
    if (hdfs == null) {
      Configuration conf = new Configuration();
      conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir().resolve("hdfs").toString());
      MiniDFSCluster c = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
      c.waitActive();
      hdfs = c;
    }
    return hdfs;
  }

  /** The shared HDFS's NameNode, {@code hdfs://127.0.0.1:PORT}. */
  public static String nameNode() throws Exception {
    return "hdfs://127.0.0.1:" + hdfs().getNameNodePort();
  }

  /** A directory on the shared HDFS of {@code owner}'s own: {@code hdfs://127.0.0.1:PORT/SimpleName}. */
  public static String hdfsRoot(Class<?> owner) throws Exception {
    return nameNode() + "/" + owner.getSimpleName();
  }

  /** Stops whatever was started and deletes the shared directory; later calls start afresh. */
  public static synchronized void stop() {
    if (spark != null) {
      spark.close();
      spark = null;
    }
    if (hdfs != null) {
      hdfs.shutdown();
      hdfs = null;
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // best effort: a temporary directory
      }
      dir = null;
    }
  }
}
