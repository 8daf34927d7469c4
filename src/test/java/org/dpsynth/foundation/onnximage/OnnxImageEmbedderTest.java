package org.dpsynth.foundation.onnximage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.dpsynth.config.ConfigException;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.config.JobConfig.Embedder.Layout;
import org.dpsynth.config.JobConfig.Embedder.Pooling;
import org.dpsynth.foundation.Embedder;
import org.dpsynth.foundation.Models;
import org.dpsynth.foundation.image.GrayImage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The onnx-image embedder on a small convolutional network written in the test, on real Fashion-MNIST images. */
class OnnxImageEmbedderTest {
  static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
  static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
  static final TinyConvNet NET = new TinyConvNet(17);
  static List<String> payloads = new ArrayList<>();

  @TempDir Path dir;

  @BeforeAll
  static void readImages() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> lines = Files.readAllLines(Path.of("data-samples/fashion/fashion-private.jsonl"));
    for (int i = 0; i < lines.size() && payloads.size() < 40; i += 71) {
      payloads.add(json.readTree(lines.get(i)).get("image").asText());
    }
  }

  static OnnxImageEmbedder.Settings settings(int side, String output, Pooling pooling) {
    return new OnnxImageEmbedder.Settings(side, side, 3, IMAGENET_MEAN, IMAGENET_STD, Layout.NCHW, output, pooling);
  }

  static OnnxImageEmbedder open(byte[] model, OnnxImageEmbedder.Settings s, int batch) {
    return OnnxImageEmbedder.open(model, "test model", s, 1, batch);
  }

  /** The plain-Java pipeline: resize, gray to 3 channels, ImageNet normalisation, the network, L2. */
  static float[] reference(GrayImage img) {
    int side = TinyConvNet.SIDE;
    float[] px = OnnxImageEmbedder.resize(img, side, side);
    float[] x = new float[3 * side * side];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < px.length; i++) {
        x[c * px.length + i] = (px[i] - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
      }
    }
    float[] f = NET.features(x);
    double n = 0;
    for (float v : f) {
      n += v * v;
    }
    for (int i = 0; i < f.length; i++) {
      f[i] /= (float) Math.sqrt(n);
    }
    return f;
  }

  @Test
  void matchesThePlainJavaNetworkOnRealImages() {
    try (OnnxImageEmbedder e = open(NET.onnx(), settings(0, "", Pooling.SPATIAL_MEAN), 8)) {
      assertEquals(TinyConvNet.SIDE, e.width(), "width read from the model's input shape");
      assertEquals(TinyConvNet.FILTERS, e.dimension());
      float[][] got = e.embed(payloads).vectors();
      assertEquals(payloads.size(), got.length);
      double worst = 0;
      for (int i = 0; i < got.length; i++) {
        float[] want = reference(GrayImage.ofPayload(payloads.get(i)));
        double norm = 0;
        for (int d = 0; d < want.length; d++) {
          worst = Math.max(worst, Math.abs(got[i][d] - want[d]));
          norm += got[i][d] * got[i][d];
        }
        assertEquals(1.0, norm, 1e-5, "unit norm, image " + i);
      }
      assertTrue(worst < 1e-5, "largest difference to the plain-Java network: " + worst);
    }
  }

  @Test
  void batchedAndOneAtATimeAreIdentical() {
    try (OnnxImageEmbedder batched = open(NET.onnx(), settings(0, "", Pooling.SPATIAL_MEAN), 16);
        OnnxImageEmbedder single = open(NET.onnx(), settings(0, "", Pooling.SPATIAL_MEAN), 1)) {
      float[][] a = batched.embed(payloads).vectors();
      for (int i = 0; i < payloads.size(); i++) {
        assertArrayEquals(a[i], single.embed(List.of(payloads.get(i))).vectors()[0], "image " + i);
      }
    }
  }

  @Test
  void aFeatureMapOutputIsPooledOverSpace() {
    // "maps" is the ReLU output [N, F, 14, 14]; its spatial mean is what GlobalAveragePool gives as "features".
    try (OnnxImageEmbedder maps = open(NET.onnx(), settings(0, "maps", Pooling.SPATIAL_MEAN), 8);
        OnnxImageEmbedder features = open(NET.onnx(), settings(0, "features", Pooling.SPATIAL_MEAN), 8)) {
      assertEquals(TinyConvNet.FILTERS, maps.dimension());
      float[][] a = maps.embed(payloads).vectors();
      float[][] b = features.embed(payloads).vectors();
      for (int i = 0; i < a.length; i++) {
        assertArrayEquals(b[i], a[i], 1e-5f, "image " + i);
      }
    }
  }

  @Test
  void tokenPoolingsTakeTheMeanOrTheFirstToken() {
    // Two rows of [T = 2, D = 3] tokens.
    FloatBuffer v = FloatBuffer.wrap(new float[] {1, 2, 3, 3, 4, 5, /* row 2 */ 0, 0, 1, 2, 2, 1});
    long[] shape = {2, 2, 3};
    assertArrayEquals(new float[] {2, 3, 4}, OnnxImageEmbedder.pool(v, shape, 2, Pooling.TOKEN_MEAN, "o")[0]);
    assertArrayEquals(new float[] {1, 1, 1}, OnnxImageEmbedder.pool(v, shape, 2, Pooling.TOKEN_MEAN, "o")[1]);
    assertArrayEquals(new float[] {0, 0, 1}, OnnxImageEmbedder.pool(v, shape, 2, Pooling.FIRST_TOKEN, "o")[1]);
    // As [N = 2, C = 2, 3 positions]: spatial mean of each channel.
    assertArrayEquals(new float[] {2, 4}, OnnxImageEmbedder.pool(v, shape, 2, Pooling.SPATIAL_MEAN, "o")[0]);
    ConfigException e = assertThrows(ConfigException.class,
        () -> OnnxImageEmbedder.pool(v, new long[] {2, 1, 2, 3}, 2, Pooling.TOKEN_MEAN, "o"));
    assertTrue(e.getMessage().startsWith("embedder.pooling: token-mean needs an output of shape [N, T, D]"), e.getMessage());
  }

  @Test
  void bilinearResizeUsesHalfPixelCentres() {
    // PyTorch interpolate([0, 1], size=4, mode="linear", align_corners=False) = [0, 0.25, 0.75, 1].
    GrayImage two = new GrayImage(2, 1, new float[] {0f, 1f});
    assertArrayEquals(new float[] {0f, 0.25f, 0.75f, 1f}, OnnxImageEmbedder.resize(two, 4, 1), 1e-6f);
    // Downscaling 4 -> 2 averages neighbour pairs (source positions 0.5 and 2.5).
    GrayImage four = new GrayImage(4, 1, new float[] {0f, 0.2f, 0.6f, 1f});
    assertArrayEquals(new float[] {0.1f, 0.8f}, OnnxImageEmbedder.resize(four, 2, 1), 1e-6f);
    // Rows and columns alike; the same size is a copy.
    GrayImage col = new GrayImage(1, 2, new float[] {0f, 1f});
    assertArrayEquals(new float[] {0f, 0.25f, 0.75f, 1f}, OnnxImageEmbedder.resize(col, 1, 4), 1e-6f);
    assertArrayEquals(four.pixels(), OnnxImageEmbedder.resize(four, 4, 1));
  }

  @Test
  void nhwcPutsChannelsLastAndNormalisesPerChannel() throws Exception {
    byte[] model = TinyConvNet.reluOn(new long[] {-1, 2, 2, 3});
    var s = new OnnxImageEmbedder.Settings(0, 0, 3, new float[] {0f, 0.5f, 1f}, new float[] {1f, 0.5f, 2f}, Layout.NHWC, "",
        Pooling.SPATIAL_MEAN);
    try (OnnxImageEmbedder e = open(model, s, 4)) {
      float[] x = e.input(List.of(new GrayImage(2, 2, new float[] {0f, 0.25f, 0.5f, 1f})));
      // pixel 1 (0.25): channel 0 (0.25 - 0) / 1, channel 1 (0.25 - 0.5) / 0.5, channel 2 (0.25 - 1) / 2
      assertArrayEquals(new float[] {0.25f, -0.5f, -0.375f}, java.util.Arrays.copyOfRange(x, 3, 6), 1e-6f);
      assertEquals(12, x.length);
    }
  }

  @Test
  void clearErrorsForAMissingFileANonOnnxFileAndAnInputThatDoesNotFit() throws IOException {
    Configuration conf = new Configuration();
    var s = settings(0, "", Pooling.SPATIAL_MEAN);
    String missing = dir.resolve("nope.onnx").toString();
    ConfigException e = assertThrows(ConfigException.class, () -> OnnxImageEmbedder.load(missing, conf, s, 1, 8));
    assertEquals("embedder.model_path: no file at " + missing, e.getMessage());

    Path png = dir.resolve("image.onnx");
    Files.write(png, GrayImage.ofPayload(payloads.get(0)).png());
    e = assertThrows(ConfigException.class, () -> OnnxImageEmbedder.load(png.toString(), conf, s, 1, 8));
    assertTrue(e.getMessage().startsWith("embedder.model_path: " + png + " is not an ONNX model"), e.getMessage());

    Path threeAxes = dir.resolve("three-axes.onnx");
    Files.write(threeAxes, TinyConvNet.reluOn(new long[] {-1, 16, 16}));
    e = assertThrows(ConfigException.class, () -> OnnxImageEmbedder.load(threeAxes.toString(), conf, s, 1, 8));
    assertTrue(e.getMessage().startsWith("embedder.model_path: the model does not fit an image embedder: it input 'x'"),
        e.getMessage());
    assertTrue(e.getMessage().contains("expected a float tensor of 4 axes (nchw)"), e.getMessage());

    e = assertThrows(ConfigException.class, () -> open(TinyConvNet.reluOn(new long[] {-1, 1, 16, 16}), s, 8));
    assertEquals("embedder.channels: 3, but the model's input 'x' has 1 channel(s) (shape [-1, 1, 16, 16], layout nchw)",
        e.getMessage());
    e = assertThrows(ConfigException.class, () -> open(NET.onnx(), settings(32, "", Pooling.SPATIAL_MEAN), 8));
    assertTrue(e.getMessage().startsWith("embedder.image_height: 32, but the model's input 'pixels' has shape [-1, 3, 16, 16]"),
        e.getMessage());
    e = assertThrows(ConfigException.class, () -> open(NET.onnx(), settings(0, "logits", Pooling.SPATIAL_MEAN), 8));
    assertEquals("embedder.output: the model has no output 'logits' (it has [features, maps])", e.getMessage());
    e = assertThrows(ConfigException.class, () -> open(TinyConvNet.reluOn(new long[] {4, 3, 16, 16}), s, 8));
    assertTrue(e.getMessage().contains("has a fixed batch of 4"), e.getMessage());
  }

  @Test
  void anOpenInputSizeDefaultsTo224OrTheConfiguredSize() {
    byte[] open = TinyConvNet.reluOn(new long[] {-1, 3, -1, -1});
    try (OnnxImageEmbedder e = open(open, settings(0, "", Pooling.SPATIAL_MEAN), 2);
        OnnxImageEmbedder f = open(open, settings(20, "", Pooling.SPATIAL_MEAN), 2)) {
      assertEquals(OnnxImageEmbedder.OPEN_SIZE, e.width());
      assertEquals(20, f.height());
      assertEquals(3, f.dimension(), "Relu keeps [N, 3, H, W]; spatial mean gives one value per channel");
    }
  }

  @Test
  void theConfigSelectsItThroughModels() throws IOException {
    Path model = dir.resolve("tiny.onnx");
    Files.write(model, NET.onnx());
    JobConfig cfg = ConfigLoader.load(Path.of("conf/pe-fashion.yaml"),
        List.of("embedder.type=onnx-image", "embedder.model_path=" + model, "embedder.batch_size=4"));
    Embedder e = Models.embedder(cfg.embedder(), null);
    assertEquals(TinyConvNet.FILTERS, e.dimension());
    assertArrayEquals(reference(GrayImage.ofPayload(payloads.get(3))), e.embed(List.of(payloads.get(3))).vectors()[0], 1e-5f);

    ConfigException bad = assertThrows(ConfigException.class, () -> ConfigLoader.load(Path.of("conf/pe-fashion.yaml"),
        List.of("embedder.type=onnx-image", "embedder.channels=1")));
    assertTrue(bad.getMessage().contains("embedder.model_path: expected the path of the ONNX image model"), bad.getMessage());
    assertTrue(bad.getMessage().contains("embedder.mean: expected 1 number(s), one per channel"), bad.getMessage());
    assertTrue(bad.getMessage().contains("embedder.std: expected 1 number(s), one per channel (embedder.channels) > 0"),
        bad.getMessage());
  }
}
