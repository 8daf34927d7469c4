package org.dpsynth.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One self-contained HTML page: styles, the vendored Chart.js (MIT, resource
 * {@code dpsynth/report/}) and chart data are inlined, and a Content-Security-Policy forbids any
 * load from elsewhere. When every chart has been drawn the page's script sets
 * {@code data-rendered="true"} on the element {@code #render-status}.
 */
final class HtmlPage {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHART_JS = "/dpsynth/report/chart.umd.min.js";
  private static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
      "#7f7f7f", "#bcbd22", "#17becf"};

  private final String title;
  private final StringBuilder body = new StringBuilder();
  private final List<String[]> charts = new ArrayList<>();

  HtmlPage(String title) {
    this.title = title;
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  static String colour(int i) {
    return PALETTE[i % PALETTE.length];
  }

  HtmlPage heading(int level, String text) {
    body.append("<h").append(level).append('>').append(escape(text)).append("</h").append(level).append(">\n");
    return this;
  }

  HtmlPage paragraph(String text) {
    body.append("<p>").append(escape(text)).append("</p>\n");
    return this;
  }

  HtmlPage banner(String cssClass, String text) {
    body.append("<div class=\"").append(cssClass).append("\">").append(escape(text)).append("</div>\n");
    return this;
  }

  HtmlPage list(List<String> items) {
    body.append("<ul>\n");
    items.forEach(i -> body.append("<li>").append(escape(i)).append("</li>\n"));
    body.append("</ul>\n");
    return this;
  }

  HtmlPage table(List<String> header, List<List<String>> rows) {
    body.append("<table><thead><tr>");
    header.forEach(h -> body.append("<th>").append(escape(h)).append("</th>"));
    body.append("</tr></thead><tbody>\n");
    for (List<String> r : rows) {
      body.append("<tr>");
      r.forEach(c -> body.append("<td>").append(escape(c)).append("</td>"));
      body.append("</tr>\n");
    }
    body.append("</tbody></table>\n");
    return this;
  }

  /** A chart with a caption; {@code config} is a Chart.js configuration object. */
  HtmlPage chart(String id, String caption, ObjectNode config) {
    ObjectNode options = config.has("options") ? (ObjectNode) config.get("options") : config.putObject("options");
    options.put("animation", false);
    options.put("responsive", true);
    options.put("maintainAspectRatio", false);
    body.append("<figure><div class=\"chart\"><canvas id=\"").append(escape(id)).append("\" role=\"img\" aria-label=\"")
        .append(escape(caption)).append("\"></canvas></div><figcaption>").append(escape(caption)).append("</figcaption></figure>\n");
    charts.add(new String[] {id, config.toString()});
    return this;
  }

  /** A line (or bar) chart configuration: x labels and named series. */
  static ObjectNode series(String type, List<String> xLabels, List<String> names, List<double[]> values, String yTitle) {
    ObjectNode c = JSON.createObjectNode();
    c.put("type", type);
    ObjectNode data = c.putObject("data");
    ArrayNode labels = data.putArray("labels");
    xLabels.forEach(labels::add);
    ArrayNode sets = data.putArray("datasets");
    for (int s = 0; s < names.size(); s++) {
      ObjectNode d = sets.addObject();
      d.put("label", names.get(s));
      ArrayNode v = d.putArray("data");
      for (double x : values.get(s)) {
        if (Double.isFinite(x)) {
          v.add(x);
        } else {
          v.addNull();
        }
      }
      d.put("borderColor", colour(s));
      d.put("backgroundColor", colour(s));
    }
    ObjectNode scales = c.putObject("options").putObject("scales");
    scales.putObject("y").putObject("title").put("display", true).put("text", yTitle);
    return c;
  }

  HtmlPage raw(String html) {
    body.append(html);
    return this;
  }

  String render() {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; ")
        .append("style-src 'unsafe-inline'; img-src data:\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
        .append(escape(title)).append("</title>\n<style>\n")
        .append("body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1100px;")
        .append("padding:0 1em;color:#222;line-height:1.45}\n")
        .append("table{border-collapse:collapse;margin:1em 0;font-size:0.92em}td,th{border:1px solid #ccc;padding:0.3em 0.6em;")
        .append("text-align:left}th{background:#f2f2f2}\n")
        .append("figure{margin:1.5em 0}.chart{position:relative;height:320px}figcaption{color:#555;font-size:0.9em}\n")
        .append(".warning{background:#fff3cd;border:2px solid #d39e00;padding:0.6em;font-weight:bold}\n")
        .append(".operator{background:#f8d7da;border:2px solid #b02a37;padding:0.6em;font-weight:bold}\n")
        .append(".sample{font-family:ui-monospace,monospace;font-size:0.9em}\n")
        .append("#render-status{color:#888;font-size:0.8em}\n</style>\n</head>\n<body>\n");
    h.append("<h1>").append(escape(title)).append("</h1>\n");
    h.append(body);
    h.append("<p id=\"render-status\" data-rendered=\"false\">charts not drawn (scripts disabled?)</p>\n");
    h.append("<p class=\"notice\">Charts drawn with Chart.js 4.6.1, MIT licence, (c) Chart.js Contributors; inlined below.</p>\n");
    h.append("<script>\n").append(chartJs().replace("</script", "<\\/script")).append("\n</script>\n");
    h.append("<script>\n(function(){\nvar charts = ");
    ArrayNode list = JSON.createArrayNode();
    for (String[] c : charts) {
      ObjectNode o = list.addObject();
      o.put("id", c[0]);
      try {
        o.set("config", JSON.readTree(c[1]));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    h.append(list.toString().replace("</", "<\\/"));
    h.append(";\nvar drawn = 0;\ncharts.forEach(function(c){ new Chart(document.getElementById(c.id), c.config); drawn++; });\n")
        .append("var s = document.getElementById('render-status');\n")
        .append("s.setAttribute('data-rendered', 'true'); s.setAttribute('data-charts', String(drawn));\n")
        .append("s.textContent = drawn + ' charts drawn';\n})();\n</script>\n</body></html>\n");
    return h.toString();
  }

  void write(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
      Files.writeString(tmp, render(), StandardCharsets.UTF_8);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static String chartJs() {
    try (InputStream in = HtmlPage.class.getResourceAsStream(CHART_JS)) {
      if (in == null) {
        throw new IllegalStateException("resource " + CHART_JS + " is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read resource " + CHART_JS, e);
    }
  }
}
