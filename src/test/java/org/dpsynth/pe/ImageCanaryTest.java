package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.spark.sql.Row;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.image.GrayImage;
import org.dpsynth.foundation.image.SimulatedImageGenerator;
import org.dpsynth.run.RunDirectory;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image canary: one user's distinctive image (a ring with a dot, a shape Fashion-MNIST has
 * not), planted in a private image folder next to a bad image and an unknown label that carry
 * canary strings, goes through an image PE run (random-conv, image-sim with the fashion public
 * split, input.format image-folder, output.image_folder). Its PNG bytes, base64 and strings must
 * appear in no public file, private diagnostic, console line or log line, and no image the run
 * made (any population, the synthetic set, the image folder, the report) may be a near copy of it.
 * The same run also checks the image folder output and the report's per-iteration grids.
 */
class ImageCanaryTest {
  static final String CANARY = "qqimgcanary";
  /** Normalised cross-correlation, maximised over shifts of up to 3 px, at or above which an image counts as a near copy. */
  static final double NEAR_COPY = 0.6;
  @TempDir static Path dir;
  static Path out;
  static byte[] canaryPng;
  static GrayImage canary;
  static String console;
  static String logs;
  static int users;

  /** A ring of radius 8 and a centre dot, bright on black: smooth enough that light variations stay near it. */
  static GrayImage ringWithDot() {
    float[] px = new float[28 * 28];
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        double r = Math.hypot(x - 13.5, y - 13.5);
        px[y * 28 + x] = (float) Math.max(Math.max(0, 1 - Math.abs(r - 8) / 1.5), Math.max(0, 1 - r / 2.5));
      }
    }
    return new GrayImage(28, 28, px);
  }

  @BeforeAll
  static void run() throws IOException {
    // Every 20th private image (150 images) as <label>/<user>/<n>.png, plus the canary user's 8 copies
    // of the canary, a bad image whose bytes are a canary string, and a canary label outside the label set.
    Path folder = dir.resolve("private-images");
    List<String> all = Files.readAllLines(Path.of("data-samples/fashion/fashion-private.jsonl"));
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 20) {
      JsonNode r = RunDirectory.JSON.readTree(all.get(i));
      Path user = Files.createDirectories(folder.resolve(r.get("label").asText()).resolve(r.get("user_id").asText()));
      Files.write(user.resolve(i + ".png"), Base64.getDecoder().decode(r.get("image").asText()));
      if (!seen.contains(r.get("user_id").asText())) {
        seen.add(r.get("user_id").asText());
      }
    }
    users = seen.size();
    canary = ringWithDot();
    canaryPng = canary.png();
    Path canaryUser = Files.createDirectories(folder.resolve("bag").resolve(CANARY + "-user"));
    for (int i = 0; i < 8; i++) {
      Files.write(canaryUser.resolve(CANARY + "-" + i + ".png"), canaryPng);
    }
    Files.write(Files.createDirectories(folder.resolve("boot").resolve(CANARY + "-bad-user")).resolve("x.png"),
        (CANARY + "-not-a-png").getBytes(StandardCharsets.US_ASCII));
    Files.write(Files.createDirectories(folder.resolve(CANARY + "-label").resolve("u1")).resolve("y.png"), canaryPng);

    JobConfig cfg = ConfigLoader.load(Path.of("conf/pe-fashion.yaml"), List.of("input.path=" + folder, "input.format=image-folder",
        "output.image_folder=true", "privacy.noise=seeded:11", "privacy.min_users=20", "pe.iterations=2", "pe.population_size=20"));
    out = dir.resolve("run");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    StringWriter logged = new StringWriter();
    SparkTestSession.get(); // started first: it sets Spark's log level, which the capture then lowers to INFO for the run
    try (LogCapture capture = new LogCapture(logged)) {
      new PrivateEvolution(SparkTestSession.get(), cfg, out, new PrintStream(bytes, true, StandardCharsets.UTF_8), p -> {}).run();
    }
    console = bytes.toString(StandardCharsets.UTF_8);
    logs = logged.toString();
  }

  /**
   * Every log event at INFO and above while open (more than a production run logs: conf/log4j2.properties
   * keeps Spark at WARN), except that the loggers conf/log4j2.properties pins keep their production
   * level; the console appender keeps its level.
   */
  static final class LogCapture implements AutoCloseable {
    private final LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    private final Configuration conf = ctx.getConfiguration();
    private final LoggerConfig root = conf.getRootLogger();
    private final Level before = root.getLevel();
    private final WriterAppender appender;
    private final List<String> pinned = new ArrayList<>();

    LogCapture(StringWriter into) throws IOException {
      appender = WriterAppender.newBuilder().setName("image-canary").setTarget(into)
          .setLayout(PatternLayout.newBuilder().withPattern("%p %c: %m%n").withConfiguration(conf).build()).build();
      appender.start();
      root.getAppenders().values().forEach(a -> {
        root.removeAppender(a.getName());
        root.addAppender(a, before, null);
      });
      root.addAppender(appender, Level.INFO, null);
      root.setLevel(Level.INFO);
      java.util.Properties production = new java.util.Properties();
      try (var in = Files.newInputStream(Path.of("conf/log4j2.properties"))) {
        production.load(in);
      }
      for (String key : production.stringPropertyNames()) {
        if (key.startsWith("logger.") && key.endsWith(".name")) {
          String name = production.getProperty(key);
          Level level = Level.toLevel(production.getProperty(key.replaceFirst("\\.name$", ".level")), Level.INFO);
          if (!conf.getLoggers().containsKey(name) && level.isMoreSpecificThan(Level.WARN)) {
            conf.addLogger(name, LoggerConfig.newBuilder().withLoggerName(name).withLevel(level).withAdditivity(true)
                .withConfig(conf).build());
            pinned.add(name);
          }
        }
      }
      ctx.updateLoggers();
    }

    @Override
    public void close() {
      pinned.forEach(conf::removeLogger);
      root.removeAppender(appender.getName());
      root.setLevel(before);
      ctx.updateLoggers();
      appender.stop();
    }
  }

  /** What must not appear: the canary strings, its PNG bytes and their base64 (as written and as the engine re-encodes them). */
  static List<String> needles() {
    GrayImage canonical = GrayImage.decode(canaryPng);
    return List.of(CANARY, new String(canaryPng, StandardCharsets.ISO_8859_1), Base64.getEncoder().encodeToString(canaryPng),
        new String(canonical.png(), StandardCharsets.ISO_8859_1), canonical.payload(),
        // the raw pixel rows through the ring's centre, in case an image were stored uncompressed
        pixelRow(canonical, 13));
  }

  static String pixelRow(GrayImage g, int y) {
    StringBuilder sb = new StringBuilder();
    for (int x = 0; x < g.width(); x++) {
      sb.append((char) Math.round(g.at(x, y) * 255));
    }
    return sb.toString();
  }

  static void assertAbsent(String where, String content) {
    for (String needle : needles()) {
      assertFalse(content.contains(needle), "the canary (" + needle.length() + " chars) in " + where);
    }
  }

  @Test
  void theCanaryAppearsInNoOutputFileConsoleOrLogLine() throws IOException {
    assertTrue(console.contains("iteration 2/2"), console);
    assertTrue(logs.contains("INFO org.apache.spark.scheduler.DAGScheduler: Job"), "the capture saw the run's Spark jobs at INFO");
    // Spark logs each file it reads at INFO (FileScanRDD), and here the paths name users: the production
    // config pins that logger (read by LogCapture); without the pin this test finds the canary user's folder.
    assertTrue(Files.readString(Path.of("conf/log4j2.properties"))
        .contains("logger.filescan.name = org.apache.spark.sql.execution.datasources.FileScanRDD"));
    assertAbsent("the console", console);
    assertAbsent("the logs", logs);
    int checked = 0;
    try (Stream<Path> files = Files.walk(out)) {
      // public/ whole; private/ except the private embeddings (user keys and vectors, private by design)
      for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.startsWith(out.resolve("private/embeddings.parquet"))).toList()) {
        assertAbsent(out.relativize(f).toString(), new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
        checked++;
      }
    }
    try (Stream<Path> files = Files.walk(dir.resolve("privacy-ledgers"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertAbsent("the ledger " + f.getFileName(), Files.readString(f, StandardCharsets.ISO_8859_1));
      }
    }
    assertTrue(checked > 20, "the run wrote files: " + checked);
    JsonNode diag = RunDirectory.readJson(out.resolve("private/diagnostics.json"));
    assertEquals(1, diag.get("skipped_bad_image").asInt(), diag.toString());
    assertEquals(1, diag.get("skipped_unknown_label").asInt(), diag.toString());
  }

  /** Normalised cross-correlation of a and b over their overlap, maximised over shifts of up to 3 px. */
  static double nearness(GrayImage a, GrayImage b) {
    double best = -1;
    for (int dy = -3; dy <= 3; dy++) {
      for (int dx = -3; dx <= 3; dx++) {
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        int n = 0;
        for (int y = Math.max(0, dy); y < Math.min(a.height(), b.height() + dy); y++) {
          for (int x = Math.max(0, dx); x < Math.min(a.width(), b.width() + dx); x++) {
            double p = a.at(x, y);
            double q = b.at(x - dx, y - dy);
            sa += p;
            sb += q;
            saa += p * p;
            sbb += q * q;
            sab += p * q;
            n++;
          }
        }
        double cov = sab / n - sa / n * sb / n;
        double va = saa / n - sa / n * sa / n;
        double vb = sbb / n - sb / n * sb / n;
        if (va > 1e-9 && vb > 1e-9) {
          best = Math.max(best, cov / Math.sqrt(va * vb));
        }
      }
    }
    return best;
  }

  static List<String> publicPrior() throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("data-samples/fashion/fashion-public.jsonl"))) {
      out.add(RunDirectory.JSON.readTree(line).get("image").asText());
    }
    return out;
  }

  @Test
  void theDistanceCatchesCopiesAndLightVariationsAndThePublicPriorHasNoneOfThem() throws IOException {
    // Test of the test: the canary itself and the generator's own perturbations of it (degrees 0.1 to 0.3)
    // are near copies; no public image is, so a near copy in the output could only come from the private canary.
    assertEquals(1.0, nearness(canary, GrayImage.decode(canaryPng)), 1e-5);
    List<String> prior = publicPrior();
    SimulatedImageGenerator gen = new SimulatedImageGenerator(prior, null);
    // (Its other kind of variation returns a public image unchanged: covered by the prior check below.)
    int perturbations = 0;
    for (double degree : new double[] {0.1, 0.2, 0.3}) {
      for (var v : gen.variationWithProvenance("bag", java.util.Collections.nCopies(40, canary.payload()), degree, 42)) {
        if (v.provenance() == org.dpsynth.foundation.Generator.Provenance.GENERATED) {
          double near = nearness(canary, GrayImage.ofPayload(v.text()));
          assertTrue(near >= NEAR_COPY, "a perturbation at degree " + degree + " is a near copy: " + near);
          perturbations++;
        }
      }
    }
    assertTrue(perturbations >= 30, "perturbations checked: " + perturbations);
    double worst = -1;
    for (String p : prior) {
      worst = Math.max(worst, nearness(canary, GrayImage.ofPayload(p)));
    }
    assertTrue(worst < NEAR_COPY, "no public image is a near copy of the canary: " + worst);
  }

  @Test
  void noImageTheRunMadeIsANearCopyOfTheCanary() throws IOException {
    List<byte[]> made = new ArrayList<>();
    for (int t = 0; t <= 2; t++) {
      for (Row r : SparkTestSession.get().read().parquet(out.resolve(String.format("public/iterations/%03d/population.parquet", t)).toString())
          .collectAsList()) {
        made.add(r.getAs(PrivateEvolution.IMAGE_COLUMN));
      }
    }
    for (Row r : SparkTestSession.get().read().parquet(out.resolve("public/synthetic").toString()).collectAsList()) {
      made.add(r.getAs(PrivateEvolution.IMAGE_COLUMN));
    }
    try (Stream<Path> files = Files.walk(out.resolve("public/synthetic-images"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        made.add(Files.readAllBytes(f));
      }
    }
    Matcher m = Pattern.compile("data:image/png;base64,([A-Za-z0-9+/=]+)").matcher(Files.readString(out.resolve("public/report.html")));
    while (m.find()) {
      made.add(Base64.getDecoder().decode(m.group(1)));
    }
    assertTrue(made.size() >= 3 * 20 + 20 + 20, "populations, synthetic set, image files and report: " + made.size());
    double worst = -1;
    for (byte[] png : made) {
      GrayImage g = GrayImage.decode(png);
      assertNotNull(g);
      worst = Math.max(worst, nearness(canary, g));
    }
    assertTrue(worst < NEAR_COPY, "an image the run made is a near copy of the canary: " + worst);
  }

  @Test
  void theImageFolderHoldsTheSyntheticSetAsPngFilesPerLabel() throws IOException {
    List<Row> rows = SparkTestSession.get().read().parquet(out.resolve("public/synthetic").toString()).collectAsList();
    for (Row r : rows) {
      Path f = out.resolve("public/synthetic-images").resolve(r.<String>getAs("label")).resolve(r.<String>getAs("id") + ".png");
      assertTrue(java.util.Arrays.equals(r.<byte[]>getAs(PrivateEvolution.IMAGE_COLUMN), Files.readAllBytes(f)), f.toString());
    }
    try (Stream<Path> files = Files.walk(out.resolve("public/synthetic-images"))) {
      assertEquals(rows.size(), files.filter(Files::isRegularFile).count(), "one file per synthetic image, nothing else");
    }
  }

  @Test
  void theReportHasAnImageGridPerIteration() throws IOException {
    String html = Files.readString(out.resolve("public/report.html"));
    assertEquals(html.split("<img ", -1).length, html.split("src=\"data:image/png;base64,", -1).length, "every image inlined, none fetched");
    String[] sections = html.split("<h3>");
    assertEquals(4, sections.length, "one grid for each of the 3 populations (0, 1, 2)");
    for (int t = 0; t <= 2; t++) {
      String section = sections[t + 1];
      assertTrue(section.startsWith("Iteration " + t), section.substring(0, 40));
      // 20 images over 10 labels: the first 4 (or fewer) of each label, as many as the population has
      long perLabelCapped = 0;
      for (Row r : SparkTestSession.get().read().parquet(out.resolve(String.format("public/iterations/%03d/population.parquet", t)).toString())
          .groupBy("label").count().collectAsList()) {
        perLabelCapped += Math.min(4, r.getLong(1));
      }
      int end = section.indexOf("</table>");
      assertEquals(perLabelCapped, section.substring(0, end).split("data:image/png;base64,", -1).length - 1, "iteration " + t);
    }
  }
}
