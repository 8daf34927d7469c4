package org.dpsynth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.testing.HeadlessChromium;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both reports are self-contained and render in headless Chromium with the network cut off. */
class ReportRenderTest {
  static final String HOSTILE = "<script>alert('x')</script> & co";

  @TempDir Path dir;

  @Test
  void runReportRendersItsChartsFromPublicFilesOnly() throws Exception {
    Path run = fakeRun(dir.resolve("run"), "seeded:7");
    Path html = RunReport.write(SparkTestSession.get(), run);
    assertEquals(run.resolve("public/report.html"), html);
    String text = Files.readString(html, StandardCharsets.UTF_8);
    assertSelfContained(text);
    assertFalse(text.contains(HOSTILE), "synthetic text must be HTML-escaped");
    assertTrue(text.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
    // privacy parameters in words, from the manifest
    assertTrue(text.contains("epsilon = 4.000") && text.contains("delta = 1.00e-06") && text.contains("at most 8 records"), text);
    String dom = HeadlessChromium.dumpDom(html, dir);
    assertRendered(dom, 4);
    assertTrue(dom.contains("TEST MODE"), "a seeded run is marked as test mode");
    assertScreenshot(html, 1200, 2400);
  }

  @Test
  void evaluationReportRendersAndIsMarkedOperatorOnly() throws Exception {
    List<EvaluationReport.Scored> pops = new ArrayList<>();
    for (int t = 0; t <= 3; t++) {
      pops.add(new EvaluationReport.Scored("iteration " + t, evaluation(0.6 - 0.05 * t, 0.5 + 0.1 * t)));
    }
    pops.add(new EvaluationReport.Scored("final", evaluation(0.45, 0.8)));
    Path html = EvaluationReport.write(dir.resolve("operator"), "real.jsonl", "run", pops,
        new DownstreamClassifier.Accuracy(0.8, 0.55),
        DownstreamClassifier.majorityClass(List.of("ham", "ham", "spam")));
    String text = Files.readString(html, StandardCharsets.UTF_8);
    assertSelfContained(text);
    String dom = HeadlessChromium.dumpDom(html, dir);
    assertRendered(dom, 4);
    assertTrue(dom.contains("OPERATOR-ONLY"));
    assertTrue(dom.contains("Mean 1.20, p50 1, p90 2, max 3 tokens"), "memorisation summary");
    assertScreenshot(html, 1200, 1600);
  }

  @Test
  void operatorReportIsRefusedInsideAnyPublicDirectory() throws Exception {
    assertThrows(IllegalArgumentException.class, () -> EvaluationReport.checkOutsidePublic(dir.resolve("run/public/eval")));
    assertThrows(IllegalArgumentException.class, () -> EvaluationReport.checkOutsidePublic(dir.resolve("x/public")));
    Files.createDirectories(dir.resolve("run/public"));
    Path link = Files.createSymbolicLink(dir.resolve("innocent"), dir.resolve("run/public"));
    assertThrows(IllegalArgumentException.class, () -> EvaluationReport.checkOutsidePublic(link.resolve("eval")));
    assertThrows(IllegalArgumentException.class, () -> EvaluationReport.write(link, "r", "s",
        List.of(new EvaluationReport.Scored("final", evaluation(0.4, 0.5))), null, null));
    assertFalse(Files.exists(dir.resolve("run/public/evaluation.html")));
    assertEquals(dir.resolve("run/private/eval").toAbsolutePath(), EvaluationReport.checkOutsidePublic(dir.resolve("run/private/eval")));
    assertEquals(dir.resolve("publications").toAbsolutePath(), EvaluationReport.checkOutsidePublic(dir.resolve("publications")));
  }

  /** Test of the test: the remote-reference check catches the usual ways a page loads from elsewhere. */
  @Test
  void remoteReferenceCheckCatchesRemoteLoads() {
    assertFalse(HeadlessChromium.remoteReferences("<img src=\"https://example.org/a.png\">").isEmpty());
    assertFalse(HeadlessChromium.remoteReferences("<link rel=stylesheet href=//cdn.example.org/x.css>").isEmpty());
    assertFalse(HeadlessChromium.remoteReferences("<style>@import 'x.css'</style>").isEmpty());
    assertFalse(HeadlessChromium.remoteReferences("<div style=\"background:url( 'http://x/y.png')\">").isEmpty());
    assertTrue(HeadlessChromium.remoteReferences("<a href=\"#top\">top</a> see https://example.org in text").isEmpty());
  }

  static void assertSelfContained(String html) {
    assertEquals(List.of(), HeadlessChromium.remoteReferences(html), "the page refers to remote resources");
    assertTrue(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"));
    assertTrue(html.contains("Chart.js v4.6.1"), "the chart library is inlined");
  }

  static void assertRendered(String dom, int charts) {
    assertTrue(dom.contains("data-rendered=\"true\""), "the page's script did not finish:\n" + tail(dom));
    assertTrue(dom.contains("data-charts=\"" + charts + "\""), "expected " + charts + " charts:\n" + tail(dom));
    assertEquals(charts, dom.split("<canvas", -1).length - 1);
  }

  /** A PNG of the expected size, with many colours and the first series' colour filled in (legend boxes, bars). */
  void assertScreenshot(Path html, int width, int height) throws Exception {
    Path png = dir.resolve(html.getFileName() + ".png");
    HeadlessChromium.screenshot(html, png, width, height, dir);
    assertTrue(Files.size(png) > 30_000, "screenshot is only " + Files.size(png) + " bytes");
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(width, img.getWidth());
    assertEquals(height, img.getHeight());
    java.util.Set<Integer> colours = new java.util.HashSet<>();
    int seriesColour = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int rgb = img.getRGB(x, y) & 0xffffff;
        colours.add(rgb);
        if (rgb == 0x1f77b4) {
          seriesColour++;
        }
      }
    }
    assertTrue(colours.size() > 100, "only " + colours.size() + " colours: a blank page?");
    assertTrue(seriesColour > 300, "only " + seriesColour + " pixels in the first series' colour: charts not drawn?");
  }

  private static String tail(String s) {
    return s.length() < 2000 ? s : s.substring(s.length() - 2000);
  }

  static Evaluation evaluation(double frechet, double accuracy) {
    return new Evaluation(343, 400, frechet, 0.6, 0.55, 0.08, new ManifoldMetrics(5, 0.98, 0.12, 1.5, 0.85),
        new LengthDistribution(14, 10, 10.5, 0.4), new DownstreamClassifier.Accuracy(accuracy, accuracy / 2),
        new Memorisation(new int[] {0, 1, 1, 1, 2, 1, 1, 2, 3, 0}, 0.6), 0.7);
  }

  static Path fakeRun(Path run, String noise) throws Exception {
    Path pub = run.resolve("public");
    Files.createDirectories(pub.resolve("iterations"));
    ObjectNode m = HtmlPage.JSON.createObjectNode();
    m.put("run_id", "test-run").put("status", "complete").put("written", "2026-01-01T00:00:00Z").put("version", "0.1.0")
        .put("method", "private-evolution").put("noise", noise);
    ObjectNode p = m.putObject("privacy");
    p.put("unit", "user").put("epsilon", 4.0).put("delta", 1e-6).put("sigma", 2.92).put("noise_stddev", 2.92)
        .put("sensitivity", 1.0).put("steps", 3).put("accountant", "Gaussian DP (mu-GDP), exact composition").put("mu", 0.59)
        .put("max_records_per_user", 8).put("label_proportions", "dp");
    m.putArray("labels").add("food").add("law");
    Files.writeString(pub.resolve("manifest.json"), m.toPrettyString());
    ObjectNode labels = HtmlPage.JSON.createObjectNode();
    labels.putArray("labels").add("food").add("law");
    labels.putArray("noisy_counts").add(120.5).add(80.25);
    Files.writeString(pub.resolve("labels.json"), labels.toPrettyString());
    for (int t = 1; t <= 2; t++) {
      ObjectNode h = HtmlPage.JSON.createObjectNode();
      h.put("iteration", t).put("threshold", 5.0);
      ArrayNode v = h.putArray("noisy_votes");
      for (int j = 0; j < 6; j++) {
        v.add(j * 3.0 * t - 2);
      }
      Files.createDirectories(pub.resolve(String.format("iterations/%03d", t)));
      Files.writeString(pub.resolve(String.format("iterations/%03d/histogram.json", t)), h.toPrettyString());
    }
    SparkSession spark = SparkTestSession.get();
    StructType schema = new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType)
        .add("label", DataTypes.StringType).add("iteration", DataTypes.IntegerType).add("parent_id", DataTypes.StringType);
    for (int t = 0; t <= 2; t++) {
      List<Row> rows = new ArrayList<>();
      for (int j = 0; j < 6; j++) {
        String label = j < 2 + t ? "food" : "law";
        String text = j == 0 ? HOSTILE : "synthetic " + label + " text number " + j + " of iteration " + t;
        rows.add(RowFactory.create("s" + t + "-" + j, text, label, t, null));
      }
      String target = t == 2 ? pub.resolve("synthetic").toString() : null;
      spark.createDataFrame(rows, schema).coalesce(1).write().mode(SaveMode.Overwrite)
          .parquet(pub.resolve(String.format("iterations/%03d/population.parquet", t)).toString());
      if (target != null) {
        spark.createDataFrame(rows, schema).coalesce(1).write().mode(SaveMode.Overwrite).parquet(target);
      }
    }
    return run;
  }
}
