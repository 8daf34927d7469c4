package org.dpsynth.foundation.onnximage;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.dpsynth.config.ConfigException;
import org.dpsynth.config.JobConfig;
import org.dpsynth.config.JobConfig.Embedder.Layout;
import org.dpsynth.config.JobConfig.Embedder.Pooling;
import org.dpsynth.config.Modes;
import org.dpsynth.foundation.Embedder;
import org.dpsynth.foundation.OnnxSessions;
import org.dpsynth.foundation.image.GrayImage;

/**
 * {@code embedder.type: onnx-image}: runs an ONNX image model that the user points to ({@code
 * embedder.model_path}: a CLIP visual encoder, an Inception or ResNet export) in process through
 * ONNX Runtime, on the engine's gray image payloads.
 *
 * <p>Preprocessing, as torchvision's {@code Resize} (bilinear, no antialiasing) + {@code ToTensor}
 * + {@code Normalize}: the gray image (pixels in [0, 1]) is resized bilinearly with half-pixel
 * centres to the model's W × H, copied to {@code channels} channels, each channel c becomes {@code
 * (x − mean[c]) / std[c]}, and the values are laid out NCHW or NHWC. The output (the named one or
 * the first) is taken as it is when it is {@code [N, D]}, else pooled ({@link Pooling}); the vector
 * is L2-normalised (an all-zero vector becomes the fixed unit vector e₀, a non-finite one is an
 * error).
 *
 * <p>The input is read from the session: the model must have one float input of four axes whose
 * channel, height and width either are open or match the settings, and whose batch axis is open
 * or 1 (then images go one per call). Thread-safe: {@link OrtSession#run} is.
 */
public final class OnnxImageEmbedder implements Embedder {
  /** Input side used when the settings say 0 and the model leaves the axis open. */
  public static final int OPEN_SIZE = 224;

  /**
   * How a gray image becomes the model's input and which output becomes its vector; {@code width}
   * and {@code height} 0 mean the model's declared size.
   */
  public record Settings(int width, int height, int channels, float[] mean, float[] std, Layout layout, String output,
      Pooling pooling) {
    /** The {@code embedder.*} keys of {@code cfg}. */
    public static Settings of(JobConfig.Embedder cfg) {
      return new Settings(cfg.imageWidth(), cfg.imageHeight(), cfg.channels(), floats(cfg.mean()), floats(cfg.std()),
          cfg.layout(), cfg.output(), cfg.pooling());
    }

    private static float[] floats(List<Double> v) {
      float[] f = new float[v.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = v.get(i).floatValue();
      }
      return f;
    }
  }

  private final OrtEnvironment env;
  private final OrtSession session;
  private final String inputName;
  private final String outputName;
  private final Settings settings;
  private final int width;
  private final int height;
  private final int batchSize;
  private final int dimension;

  private OnnxImageEmbedder(OrtSession session, Settings settings, int batchSize) throws OrtException {
    this.env = OrtEnvironment.getEnvironment();
    this.session = session;
    this.settings = settings;
    if (session.getInputInfo().size() != 1) {
      throw unfit("has inputs " + session.getInputNames() + "; expected one image input");
    }
    Map.Entry<String, NodeInfo> input = session.getInputInfo().entrySet().iterator().next();
    this.inputName = input.getKey();
    long[] shape = input.getValue().getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.FLOAT ? t.getShape() : null;
    if (shape == null || shape.length != 4) {
      throw unfit("input '" + inputName + "' is " + input.getValue().getInfo() + "; expected a float tensor of 4 axes ("
          + Modes.key(settings.layout()) + ")");
    }
    boolean nchw = settings.layout() == Layout.NCHW;
    long c = shape[nchw ? 1 : 3];
    this.height = side(shape[nchw ? 2 : 1], settings.height(), "embedder.image_height", shape);
    this.width = side(shape[nchw ? 3 : 2], settings.width(), "embedder.image_width", shape);
    if (c >= 0 && c != settings.channels()) {
      throw new ConfigException("embedder.channels: " + settings.channels() + ", but the model's input '" + inputName
          + "' has " + c + " channel(s) (shape " + Arrays.toString(shape) + ", layout " + Modes.key(settings.layout()) + ")");
    }
    if (shape[0] >= 0 && shape[0] != 1) {
      throw unfit("input '" + inputName + "' has a fixed batch of " + shape[0] + " (shape " + Arrays.toString(shape)
          + "); expected an open batch axis or 1");
    }
    this.batchSize = shape[0] == 1 ? 1 : batchSize;
    List<String> outputs = new ArrayList<>(session.getOutputNames());
    String wanted = settings.output() == null || settings.output().isEmpty() ? outputs.get(0) : settings.output();
    if (!outputs.contains(wanted)) {
      throw new ConfigException("embedder.output: the model has no output '" + wanted + "' (it has " + outputs + ")");
    }
    this.outputName = wanted;
    // One mid-gray image checks the whole pipeline and gives the dimension.
    float[] mid = new float[width * height];
    Arrays.fill(mid, 0.5f);
    this.dimension = runRaw(List.of(new GrayImage(width, height, mid)))[0].length;
  }

  private int side(long declared, int wanted, String key, long[] shape) {
    if (declared < 0) {
      return wanted > 0 ? wanted : OPEN_SIZE;
    }
    if (wanted > 0 && wanted != declared) {
      throw new ConfigException(key + ": " + wanted + ", but the model's input '" + inputName + "' has shape "
          + Arrays.toString(shape) + " (layout " + Modes.key(settings.layout()) + ")");
    }
    return (int) declared;
  }

  private static ConfigException unfit(String what) {
    return new ConfigException("embedder.model_path: the model does not fit an image embedder: it " + what);
  }

  /**
   * Reads the model at {@code path} (any Hadoop file system URI or local path) and opens it.
   *
   * @throws ConfigException naming {@code embedder.model_path} (or the setting that does not fit)
   *     if the file is missing, unreadable, not an ONNX model, or its input or output does not fit
   */
  public static OnnxImageEmbedder load(String path, Configuration conf, Settings settings, int intraOpThreads, int batchSize) {
    if (path == null || path.isBlank()) {
      throw new ConfigException("embedder.model_path: expected the path of the ONNX image model, got none");
    }
    byte[] model;
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      try (InputStream in = fs.open(p)) {
        model = in.readAllBytes();
      }
    } catch (FileNotFoundException e) {
      throw new ConfigException("embedder.model_path: no file at " + path, e);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException("embedder.model_path: cannot read " + path + " (" + e.getClass().getSimpleName() + ")", e);
    }
    return open(model, path, settings, intraOpThreads, batchSize);
  }

  /** Opens a model held in memory; {@code source} names it in errors. */
  public static OnnxImageEmbedder open(byte[] model, String source, Settings settings, int intraOpThreads, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
    }
    OrtSession session;
    try {
      session = OnnxSessions.open(OrtEnvironment.getEnvironment(), model, intraOpThreads);
    } catch (OrtException e) {
      throw new ConfigException("embedder.model_path: " + source + " is not an ONNX model ONNX Runtime can load ("
          + e.getMessage() + ")", e);
    }
    try {
      return new OnnxImageEmbedder(session, settings, batchSize);
    } catch (OrtException | RuntimeException e) {
      try {
        session.close();
      } catch (OrtException ignored) {
        // the first failure is the one to report
      }
      if (e instanceof ConfigException ce) {
        throw ce;
      }
      throw new ConfigException("embedder.model_path: " + source + " failed on a test image (" + e.getMessage() + ")", e);
    }
  }

  /** The model input's width and height the images are resized to. */
  public int width() {
    return width;
  }

  public int height() {
    return height;
  }

  /** Images per model call (1 when the model's batch axis is fixed at 1). */
  public int batchSize() {
    return batchSize;
  }

  @Override
  public int dimension() {
    return dimension;
  }

  /**
   * Embeds base64 PNG payloads.
   *
   * @throws IllegalArgumentException if a payload is not an image (naming its index)
   * @throws IllegalStateException if the model fails or yields a non-finite vector (naming the index)
   */
  @Override
  public Embeddings embed(List<String> payloads) {
    List<GrayImage> images = new ArrayList<>(payloads.size());
    for (int i = 0; i < payloads.size(); i++) {
      GrayImage g = GrayImage.fromPayload(payloads.get(i));
      if (g == null) {
        throw new IllegalArgumentException("payloads[" + i + "] is not an image payload (base64 PNG expected)");
      }
      images.add(g);
    }
    return new Embeddings(embedImages(images), 0);
  }

  /** Unit vectors of {@code images}, in order. */
  public float[][] embedImages(List<GrayImage> images) {
    float[][] out = new float[images.size()][];
    for (int from = 0; from < images.size(); from += batchSize) {
      List<GrayImage> batch = images.subList(from, Math.min(images.size(), from + batchSize));
      float[][] raw;
      try {
        raw = runRaw(batch);
      } catch (OrtException e) {
        throw new IllegalStateException("ONNX Runtime failed on a batch of images from index " + from, e);
      }
      for (int i = 0; i < raw.length; i++) {
        out[from + i] = normalised(raw[i], from + i);
      }
    }
    return out;
  }

  /** The model input of {@code batch}, laid out as the settings say (exposed for tests). */
  float[] input(List<GrayImage> batch) {
    int ch = settings.channels();
    int plane = width * height;
    float[] x = new float[batch.size() * ch * plane];
    boolean nchw = settings.layout() == Layout.NCHW;
    for (int n = 0; n < batch.size(); n++) {
      float[] px = resize(batch.get(n), width, height);
      int base = n * ch * plane;
      for (int c = 0; c < ch; c++) {
        float m = settings.mean()[c];
        float s = settings.std()[c];
        for (int i = 0; i < plane; i++) {
          x[base + (nchw ? c * plane + i : i * ch + c)] = (px[i] - m) / s;
        }
      }
    }
    return x;
  }

  /** The pooled, not yet normalised, output rows of one batch. */
  private float[][] runRaw(List<GrayImage> batch) throws OrtException {
    float[] x = input(batch);
    FloatBuffer buf = ByteBuffer.allocateDirect(x.length * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    buf.put(x).flip();
    long[] shape = settings.layout() == Layout.NCHW
        ? new long[] {batch.size(), settings.channels(), height, width}
        : new long[] {batch.size(), height, width, settings.channels()};
    try (OnnxTensor in = OnnxTensor.createTensor(env, buf, shape);
        OrtSession.Result r = session.run(Map.of(inputName, in), java.util.Set.of(outputName))) {
      OnnxTensor t = (OnnxTensor) r.get(0);
      if (t.getInfo().type != OnnxJavaType.FLOAT) {
        throw new ConfigException("embedder.output: output '" + outputName + "' is " + t.getInfo().type + ", expected float");
      }
      return pool(t.getFloatBuffer(), t.getInfo().getShape(), batch.size(), settings.pooling(), outputName);
    }
  }

  /** Rows of an {@code [rows, ...]} output, pooled to one vector each (see {@link Pooling}). */
  static float[][] pool(FloatBuffer values, long[] shape, int rows, Pooling pooling, String outputName) {
    if (shape.length < 2 || shape[0] != rows) {
      throw new ConfigException("embedder.output: output '" + outputName + "' has shape " + Arrays.toString(shape)
          + "; expected [" + rows + ", ...] (one row per image)");
    }
    long per = 1;
    for (int a = 1; a < shape.length; a++) {
      per *= shape[a];
    }
    boolean tokens = pooling == Pooling.TOKEN_MEAN || pooling == Pooling.FIRST_TOKEN;
    if (shape.length > 2 && tokens && shape.length != 3) {
      throw new ConfigException("embedder.pooling: " + Modes.key(pooling) + " needs an output of shape [N, T, D], but '"
          + outputName + "' has " + Arrays.toString(shape));
    }
    int dim = (int) (shape.length == 2 ? shape[1] : tokens ? shape[2] : shape[1]);
    int groups = (int) (per / dim); // spatial positions or tokens per vector entry
    float[][] out = new float[rows][dim];
    for (int r = 0; r < rows; r++) {
      int base = (int) (r * per);
      for (int d = 0; d < dim; d++) {
        double s = 0;
        if (shape.length == 2 || pooling == Pooling.FIRST_TOKEN) {
          s = values.get(base + d);
        } else if (pooling == Pooling.TOKEN_MEAN) {
          for (int t = 0; t < groups; t++) {
            s += values.get(base + t * dim + d);
          }
          s /= groups;
        } else {
          for (int i = 0; i < groups; i++) {
            s += values.get(base + d * groups + i);
          }
          s /= groups;
        }
        out[r][d] = (float) s;
      }
    }
    return out;
  }

  private static float[] normalised(float[] v, int index) {
    double sq = 0;
    for (float x : v) {
      sq += (double) x * x;
    }
    if (Double.isNaN(sq) || Double.isInfinite(sq)) {
      throw new IllegalStateException("ONNX image embedding of input " + index + " is not finite; cannot normalise it");
    }
    float[] u = new float[v.length];
    if (sq == 0) {
      u[0] = 1f; // an all-zero output (e.g. after a ReLU): a fixed unit vector, so every output has norm 1
      return u;
    }
    double inv = 1 / Math.sqrt(sq);
    for (int i = 0; i < v.length; i++) {
      u[i] = (float) (v[i] * inv);
    }
    return u;
  }

  /**
   * {@code img} resized to {@code w × h} by bilinear interpolation with half-pixel centres (source
   * coordinate {@code (x + 0.5) · in/out − 0.5}, clamped to the image), as PyTorch's {@code
   * interpolate(mode="bilinear", align_corners=False)} without antialiasing; row-major.
   */
  public static float[] resize(GrayImage img, int w, int h) {
    int iw = img.width();
    int ih = img.height();
    if (iw == w && ih == h) {
      return img.pixels().clone();
    }
    float[] out = new float[w * h];
    for (int y = 0; y < h; y++) {
      double sy = Math.max(0, (y + 0.5) * ih / h - 0.5);
      int y0 = Math.min((int) sy, ih - 1);
      int y1 = Math.min(y0 + 1, ih - 1);
      double fy = sy - y0;
      for (int x = 0; x < w; x++) {
        double sx = Math.max(0, (x + 0.5) * iw / w - 0.5);
        int x0 = Math.min((int) sx, iw - 1);
        int x1 = Math.min(x0 + 1, iw - 1);
        double fx = sx - x0;
        double top = img.at(x0, y0) * (1 - fx) + img.at(x1, y0) * fx;
        double bottom = img.at(x0, y1) * (1 - fx) + img.at(x1, y1) * fx;
        out[y * w + x] = (float) (top * (1 - fy) + bottom * fy);
      }
    }
    return out;
  }

  /** Releases the ONNX session; instances from {@code Models} live as long as the JVM. */
  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close the ONNX image model's session", e);
    }
  }
}
