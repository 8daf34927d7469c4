package org.dpsynth.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Reads the public training corpus of the embedded generator: the built-in JSON Lines resource
 * (one object per line with a string field {@code text}; other fields are ignored), or a user's
 * {@code generator.public_corpus} in Parquet, JSON Lines or CSV with configurable text and
 * (optional) label columns.
 *
 * <p>A user's corpus is read through Hadoop's {@link FileSystem}, so the same path (a bare path, or
 * a {@code file://}, {@code hdfs://}, {@code s3a://} … URI) is read the same way by the driver and by
 * every executor JVM that builds the generator. A directory is read as all its data files (names
 * not starting with {@code _} or {@code .}) in name order, as Spark writes them. Errors name the
 * configuration key, the file and the row; this corpus is public, but messages still quote no text.
 */
public final class PublicCorpus {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PublicCorpus() {}

  /**
   * Where a user's public corpus is and how to read it ({@code generator.public_*}).
   *
   * @param labelColumn null or blank: the corpus is unlabelled
   * @param binaryAsBase64 true for image payloads: a Parquet binary column without a string
   *     annotation is read as base64 of its bytes (text corpora: false, bytes read as UTF-8)
   */
  public record Source(String path, String format, String textColumn, String labelColumn, boolean binaryAsBase64) implements Serializable {
    public Source(String path, String format, String textColumn, String labelColumn) {
      this(path, format, textColumn, labelColumn, false);
    }

    public boolean labelled() {
      return labelColumn != null && !labelColumn.isBlank();
    }
  }

  /**
   * Public texts and, for a labelled corpus, their labels (same order; null when unlabelled).
   * Blank texts are skipped; a record of a labelled corpus without a label is an error.
   */
  public record Records(List<String> texts, List<String> labels, String description) {
    public Records {
      texts = List.copyOf(texts);
      labels = labels == null ? null : List.copyOf(labels);
      if (labels != null && labels.size() != texts.size()) {
        throw new IllegalArgumentException("texts and labels differ in number");
      }
    }

    public boolean labelled() {
      return labels != null;
    }
  }

  // ---------------------------------------------------------------- the built-in resource

  /** The {@code text} of every record; blank lines are skipped. */
  public static List<String> readJsonl(Path path) {
    try (InputStream in = Files.newInputStream(path)) {
      return readJsonl(in, path.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read public corpus " + path, e);
    }
  }

  /**
   * The {@code text} of every record in {@code in} (not closed); {@code sourceName} names the
   * input in error messages.
   */
  public static List<String> readJsonl(InputStream in, String sourceName) {
    List<String> texts = new ArrayList<>();
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    int lineNo = 0;
    try {
      for (String line; (line = reader.readLine()) != null; ) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node = jsonObject(line, "public corpus " + sourceName + ", line " + lineNo);
        JsonNode text = node.get("text");
        if (text == null || !text.isTextual()) {
          throw new IllegalArgumentException(
              "public corpus " + sourceName + ", line " + lineNo
                  + ": expected a JSON object with a string field \"text\"");
        }
        texts.add(text.asText());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read public corpus " + sourceName + " at line " + (lineNo + 1), e);
    }
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("public corpus " + sourceName + " has no records");
    }
    return texts;
  }

  // ---------------------------------------------------------------- a user's corpus

  /**
   * Reads {@code generator.public_corpus}. Throws {@link IllegalArgumentException} naming the key
   * and file for a missing path, an unknown format, a missing column, a column of the wrong type,
   * a malformed row, or a corpus with no non-blank text.
   */
  public static Records read(Source source, Configuration conf) {
    String path = source.path();
    List<FileStatus> files = dataFiles(path, conf);
    String format = formatOf(source, files);
    List<String> texts = new ArrayList<>();
    List<String> labels = source.labelled() ? new ArrayList<>() : null;
    for (FileStatus f : files) {
      String file = f.getPath().toString();
      try {
        FileSystem fs = f.getPath().getFileSystem(conf);
        switch (format) {
          case "parquet" -> readParquet(f, conf, source, texts, labels);
          case "json" -> {
            try (InputStream in = fs.open(f.getPath())) {
              readJsonLines(in, file, source, texts, labels);
            }
          }
          case "csv" -> {
            try (InputStream in = fs.open(f.getPath())) {
              readCsv(in, file, source, texts, labels);
            }
          }
          default -> throw new IllegalStateException(format);
        }
      } catch (IOException e) {
        throw new IllegalArgumentException("generator.public_corpus " + file + ": cannot be read (" + e.getMessage() + ")", e);
      }
    }
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("generator.public_corpus " + path + ": the public corpus has no records with a non-blank '"
          + source.textColumn() + "' (generator.public_text_column)");
    }
    String description = String.format(Locale.ROOT, "%s (%s, %d records%s)", path, format, texts.size(),
        labels == null ? ", unlabelled" : ", labelled");
    return new Records(texts, labels, description);
  }

  private static List<FileStatus> dataFiles(String path, Configuration conf) {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("generator.public_corpus: expected a file or directory path");
    }
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
    try {
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p)) {
        throw new IllegalArgumentException("generator.public_corpus " + path + ": no such file or directory");
      }
      FileStatus status = fs.getFileStatus(p);
      if (!status.isDirectory()) {
        return List.of(status);
      }
      List<FileStatus> files = new ArrayList<>();
      for (FileStatus s : fs.listStatus(p)) {
        String n = s.getPath().getName();
        if (s.isFile() && !n.startsWith("_") && !n.startsWith(".")) {
          files.add(s);
        }
      }
      files.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
      if (files.isEmpty()) {
        throw new IllegalArgumentException("generator.public_corpus " + path + ": the directory has no data files");
      }
      return files;
    } catch (IOException e) {
      throw new IllegalArgumentException("generator.public_corpus " + path + ": cannot be read (" + e.getMessage() + ")", e);
    }
  }

  private static String formatOf(Source source, List<FileStatus> files) {
    String f = source.format() == null ? "auto" : source.format().toLowerCase(Locale.ROOT);
    if (f.equals("jsonl") || f.equals("json")) {
      return "json";
    }
    if (f.equals("parquet") || f.equals("csv")) {
      return f;
    }
    // the path's own extension first (a Spark output directory named x.parquet), then its first file's
    for (String name : List.of(source.path(), files.get(0).getPath().getName())) {
      String candidate = name.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
      if (candidate.endsWith(".parquet")) {
        return "parquet";
      }
      if (candidate.endsWith(".jsonl") || candidate.endsWith(".json") || candidate.endsWith(".ndjson")) {
        return "json";
      }
      if (candidate.endsWith(".csv")) {
        return "csv";
      }
    }
    throw new IllegalArgumentException("generator.public_corpus " + source.path()
        + ": cannot tell its format from the name; set generator.public_format to parquet, jsonl or csv");
  }

  private static void readJsonLines(InputStream in, String file, Source source, List<String> texts, List<String> labels) throws IOException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    int lineNo = 0;
    for (String line; (line = reader.readLine()) != null; ) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      JsonNode node = jsonObject(line, file + ", row " + lineNo + " (generator.public_corpus)");
      List<String> keys = new ArrayList<>();
      node.fieldNames().forEachRemaining(keys::add);
      String text = jsonString(node, source.textColumn(), "generator.public_text_column", file, lineNo, keys);
      String label = labels == null ? null : jsonString(node, source.labelColumn(), "generator.public_label_column", file, lineNo, keys);
      add(text, label, file, lineNo, texts, labels);
    }
  }

  /** One JSON Lines line as an object; {@code where} names the file and line in the error (never the text). */
  private static JsonNode jsonObject(String line, String where) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(where + ": not a valid JSON object (near column "
          + (e.getLocation() == null ? "?" : e.getLocation().getColumnNr()) + ")");
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(where + ": not a JSON object");
    }
    return node;
  }

  private static String jsonString(JsonNode node, String column, String key, String file, int row, List<String> keys) {
    JsonNode v = node.get(column);
    if (v == null) {
      throw new IllegalArgumentException(file + ", row " + row + ": column '" + column + "' (" + key + ") not found; the record has keys " + keys);
    }
    if (v.isNull()) {
      return null;
    }
    if (!v.isTextual() && !v.isIntegralNumber()) {
      throw new IllegalArgumentException(file + ", row " + row + ": column '" + column + "' (" + key + ") is a JSON "
          + v.getNodeType().name().toLowerCase(Locale.ROOT) + "; expected a string");
    }
    return v.asText();
  }

  private static void readCsv(InputStream in, String file, Source source, List<String> texts, List<String> labels) throws IOException {
    // RFC 4180 with a header row, quotes doubled inside quoted fields: what Spark's CSV reader (and
    // input.format: csv) accepts with header=true, escape='"' and multiLine=true.
    CsvMapper mapper = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);
    try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8);
        MappingIterator<String[]> it = mapper.readerFor(String[].class).with(CsvSchema.emptySchema()).readValues(reader)) {
      if (!it.hasNext()) {
        return;
      }
      List<String> header = Arrays.asList(it.next());
      int textIdx = csvColumn(header, source.textColumn(), "generator.public_text_column", file);
      int labelIdx = labels == null ? -1 : csvColumn(header, source.labelColumn(), "generator.public_label_column", file);
      int row = 1;
      while (it.hasNext()) {
        row++;
        String[] r;
        try {
          r = it.next();
        } catch (RuntimeException e) {
          throw new IllegalArgumentException(file + ", row " + row + ": not a valid CSV row (generator.public_corpus)");
        }
        if (r.length == 1 && r[0].isEmpty()) {
          continue; // an empty line
        }
        add(textIdx < r.length ? r[textIdx] : null, labelIdx < 0 ? null : labelIdx < r.length ? r[labelIdx] : null,
            file, row, texts, labels);
      }
    }
  }

  private static int csvColumn(List<String> header, String column, String key, String file) {
    int i = header.indexOf(column);
    if (i < 0) {
      throw new IllegalArgumentException(file + ": column '" + column + "' (" + key + ") not found; the header has columns " + header);
    }
    return i;
  }

  private static void readParquet(FileStatus f, Configuration conf, Source source, List<String> texts, List<String> labels) throws IOException {
    String file = f.getPath().toString();
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromStatus(f, conf))) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      List<Type> wanted = new ArrayList<>();
      wanted.add(parquetColumn(schema, source.textColumn(), "generator.public_text_column", file));
      if (labels != null) {
        wanted.add(parquetColumn(schema, source.labelColumn(), "generator.public_label_column", file));
      }
      MessageType projection = new MessageType(schema.getName(), wanted);
      reader.setRequestedSchema(projection);
      long row = 0;
      for (PageReadStore pages; (pages = reader.readNextRowGroup()) != null; ) {
        RecordReader<Group> records = new ColumnIOFactory().getColumnIO(projection)
            .getRecordReader(pages, new GroupRecordConverter(projection));
        for (long i = 0; i < pages.getRowCount(); i++) {
          row++;
          Group g = records.read();
          String text = source.binaryAsBase64() ? parquetPayload(g, source.textColumn()) : parquetValue(g, source.textColumn());
          String label = labels == null ? null : parquetValue(g, source.labelColumn());
          add(text, label, file, row, texts, labels);
        }
      }
    }
  }

  private static Type parquetColumn(MessageType schema, String column, String key, String file) {
    if (!schema.containsField(column)) {
      List<String> have = schema.getFields().stream().map(Type::getName).toList();
      throw new IllegalArgumentException(file + ": column '" + column + "' (" + key + ") not found; the file has columns " + have);
    }
    Type t = schema.getType(column);
    boolean ok = t.isPrimitive() && !t.isRepetition(Type.Repetition.REPEATED)
        && switch (t.asPrimitiveType().getPrimitiveTypeName()) {
          case BINARY, INT32, INT64 -> true;
          default -> false;
        };
    if (!ok) {
      throw new IllegalArgumentException(file + ": column '" + column + "' (" + key + ") has type " + t
          + "; expected a string");
    }
    return t;
  }

  /** An image column: base64 of the bytes unless the column is annotated as a string (already base64). */
  private static String parquetPayload(Group g, String column) {
    if (g.getFieldRepetitionCount(column) == 0) {
      return null;
    }
    PrimitiveType t = g.getType().getType(column).asPrimitiveType();
    if (t.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY
        && !(t.getLogicalTypeAnnotation() instanceof org.apache.parquet.schema.LogicalTypeAnnotation.StringLogicalTypeAnnotation)) {
      return java.util.Base64.getEncoder().encodeToString(g.getBinary(column, 0).getBytes());
    }
    return parquetValue(g, column);
  }

  private static String parquetValue(Group g, String column) {
    if (g.getFieldRepetitionCount(column) == 0) {
      return null;
    }
    PrimitiveType.PrimitiveTypeName type = g.getType().getType(column).asPrimitiveType().getPrimitiveTypeName();
    return switch (type) {
      case INT32 -> Integer.toString(g.getInteger(column, 0));
      case INT64 -> Long.toString(g.getLong(column, 0));
      default -> g.getString(column, 0);
    };
  }

  private static void add(String text, String label, String file, long row, List<String> texts, List<String> labels) {
    if (text == null || text.isBlank()) {
      return;
    }
    if (labels != null) {
      if (label == null || label.isBlank()) {
        throw new IllegalArgumentException(file + ", row " + row + ": no label (generator.public_label_column); "
            + "a labelled public corpus needs a label on every record with text");
      }
      labels.add(label.strip());
    }
    texts.add(text);
  }

  /** The label names of a labelled corpus, in first-seen order (for messages and keyword derivation). */
  public static List<String> labelSet(Records r) {
    if (!r.labelled()) {
      return List.of();
    }
    Map<String, Boolean> seen = new java.util.LinkedHashMap<>();
    for (String l : r.labels()) {
      seen.putIfAbsent(l, true);
    }
    return List.copyOf(seen.keySet());
  }
}
