package org.dpsynth.dpft;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary files of the fine-tuning job, written atomically (temporary file, fsync, rename): a model
 * (shape, vocabulary, parameters, and a free-form description of how it was made) and a DP-SGD
 * training checkpoint (step, parameters, optimiser state).
 */
public final class ModelFile {
  private static final int MODEL_MAGIC = 0x44504c4d; // "DPLM"
  private static final int CHECKPOINT_MAGIC = 0x44504350; // "DPCP"
  private static final int VERSION = 1;

  /** A model with its vocabulary and a description of its provenance (e.g. the pretrain config). */
  public record Model(FeedForwardLm.Shape shape, Vocabulary vocabulary, double[] parameters, String provenance) {}

  /** A DP-SGD checkpoint after {@code step} completed steps. */
  public record Checkpoint(String runId, int step, double[] parameters, double[] adamM, double[] adamV, long adamT) {}

  private ModelFile() {}

  public static void writeModel(Path file, Model model) {
    writeAtomically(file, modelBytes(model));
  }

  /** The model file's bytes (for a run directory, which commits them itself). */
  public static byte[] modelBytes(Model model) {
    return serialise(out -> {
      out.writeInt(MODEL_MAGIC);
      out.writeInt(VERSION);
      FeedForwardLm.Shape s = model.shape();
      out.writeInt(s.vocab());
      out.writeInt(s.context());
      out.writeInt(s.embed());
      out.writeInt(s.hidden());
      out.writeInt(s.codes());
      for (String t : model.vocabulary().tokens()) {
        out.writeUTF(t);
      }
      writeDoubles(out, model.parameters());
      out.writeUTF(model.provenance());
    });
  }

  public static Model readModel(Path file) {
    return readModel(readAll(file), file.toString());
  }

  /** A model from the bytes of a model file; {@code name} names the file in errors. */
  public static Model readModel(byte[] bytes, String name) {
    try (DataInputStream in = open(bytes)) {
      String file = name;
      header(in, MODEL_MAGIC, file);
      FeedForwardLm.Shape s = new FeedForwardLm.Shape(in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt());
      List<String> tokens = new ArrayList<>(s.vocab());
      for (int i = 0; i < s.vocab(); i++) {
        tokens.add(in.readUTF());
      }
      double[] p = readDoubles(in, s.parameters(), file);
      return new Model(s, new Vocabulary(tokens), p, in.readUTF());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read model file " + name + " (truncated or not a dpsynth model)", e);
    }
  }

  public static void writeCheckpoint(Path file, Checkpoint c) {
    writeAtomically(file, checkpointBytes(c));
  }

  /** The checkpoint file's bytes (for a run directory, which commits them itself). */
  public static byte[] checkpointBytes(Checkpoint c) {
    return serialise(out -> {
      out.writeInt(CHECKPOINT_MAGIC);
      out.writeInt(VERSION);
      out.writeUTF(c.runId());
      out.writeInt(c.step());
      out.writeLong(c.adamT());
      writeDoubles(out, c.parameters());
      writeDoubles(out, c.adamM());
      writeDoubles(out, c.adamV());
    });
  }

  public static Checkpoint readCheckpoint(Path file, int parameters) {
    return readCheckpoint(readAll(file), parameters, file.toString());
  }

  /** A checkpoint from the bytes of a checkpoint file; {@code name} names the file in errors. */
  public static Checkpoint readCheckpoint(byte[] bytes, int parameters, String name) {
    try (DataInputStream in = open(bytes)) {
      String file = name;
      header(in, CHECKPOINT_MAGIC, file);
      String runId = in.readUTF();
      int step = in.readInt();
      long t = in.readLong();
      return new Checkpoint(runId, step, readDoubles(in, parameters, file), readDoubles(in, parameters, file),
          readDoubles(in, parameters, file), t);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + name + " (truncated or not a dpsynth checkpoint)", e);
    }
  }

  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  private static DataInputStream open(byte[] bytes) {
    return new DataInputStream(new java.io.ByteArrayInputStream(bytes));
  }

  private static byte[] readAll(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static void header(DataInputStream in, int magic, String file) throws IOException {
    if (in.readInt() != magic || in.readInt() != VERSION) {
      throw new IOException(file + " has the wrong kind or version");
    }
  }

  private static void writeDoubles(DataOutputStream out, double[] v) throws IOException {
    out.writeInt(v.length);
    for (double d : v) {
      out.writeDouble(d);
    }
  }

  private static double[] readDoubles(DataInputStream in, int expected, String file) throws IOException {
    int n = in.readInt();
    if (n != expected) {
      throw new IOException(file + " holds " + n + " values, expected " + expected);
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = in.readDouble();
    }
    return v;
  }

  private static byte[] serialise(Writer writer) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(bytes, 1 << 16))) {
      writer.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void writeAtomically(Path file, byte[] bytes) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = parent.resolve("." + file.getFileName() + ".tmp");
      Files.write(tmp, bytes);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
