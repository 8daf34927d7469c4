package org.dpsynth.foundation.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import javax.imageio.ImageIO;

/**
 * An 8-bit grayscale image as the engine's opaque image payload: a base64-encoded PNG string. The
 * engine, the votes and the run layer pass payloads as strings and never look inside; only image
 * models and image readers/writers decode them (with {@code javax.imageio}).
 *
 * <p>Pixels are held as floats in [0, 1], row-major. Colour inputs are converted to gray when read.
 */
public record GrayImage(int width, int height, float[] pixels) {
  static {
    ImageIO.setUseCache(false); // in-memory streams: the default disk cache makes a temp file per image
  }

  public GrayImage {
    if (width < 1 || height < 1 || pixels.length != width * height) {
      throw new IllegalArgumentException("image: " + width + "x" + height + " with " + pixels.length + " pixels");
    }
  }

  /** Decodes PNG (or any format ImageIO reads) bytes; null when they are empty or undecodable. */
  public static GrayImage decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return null;
    }
    BufferedImage img;
    try {
      img = ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException | RuntimeException e) { // a truncated or corrupt file: a bad record, not a crash
      return null;
    }
    if (img == null || img.getWidth() < 1 || img.getHeight() < 1) {
      return null;
    }
    BufferedImage gray = img;
    if (img.getType() != BufferedImage.TYPE_BYTE_GRAY) {
      gray = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
      gray.getGraphics().drawImage(img, 0, 0, null);
    }
    int w = gray.getWidth();
    int h = gray.getHeight();
    byte[] raw = new byte[w * h];
    gray.getRaster().getDataElements(0, 0, w, h, raw);
    float[] px = new float[w * h];
    for (int i = 0; i < px.length; i++) {
      px[i] = (raw[i] & 0xFF) / 255f;
    }
    return new GrayImage(w, h, px);
  }

  /** Decodes a payload (base64 PNG); null when it is not valid base64 or not a decodable image. */
  public static GrayImage fromPayload(String payload) {
    if (payload == null || payload.isEmpty()) {
      return null;
    }
    try {
      return decode(Base64.getDecoder().decode(payload));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** {@link #fromPayload} for payloads the engine made itself: a bad one is a bug, not bad input. */
  public static GrayImage ofPayload(String payload) {
    GrayImage g = fromPayload(payload);
    if (g == null) {
      throw new IllegalArgumentException("not an image payload (base64 PNG expected)");
    }
    return g;
  }

  /** PNG bytes (8-bit gray; pixels clamped to [0, 1] and rounded). Deterministic for given pixels. */
  public byte[] png() {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < pixels.length; i++) {
      data[i] = (byte) Math.round(Math.max(0f, Math.min(1f, pixels[i])) * 255f);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The payload form: base64 of {@link #png()}. */
  public String payload() {
    return Base64.getEncoder().encodeToString(png());
  }

  /**
   * This image at {@code w × h}: each target pixel is the mean of the source pixels whose centres
   * fall in its footprint (area averaging, for shrinking), or the bilinear sample at its centre when
   * none do (enlarging). The same size returns this image.
   */
  public GrayImage resized(int w, int h) {
    if (w == width && h == height) {
      return this;
    }
    float[] out = new float[w * h];
    double fx = (double) width / w;
    double fy = (double) height / h;
    for (int j = 0; j < h; j++) {
      int y0 = (int) Math.ceil(j * fy - 0.5);
      int y1 = (int) Math.ceil((j + 1) * fy - 0.5);
      for (int i = 0; i < w; i++) {
        int x0 = (int) Math.ceil(i * fx - 0.5);
        int x1 = (int) Math.ceil((i + 1) * fx - 0.5);
        double sum = 0;
        int n = 0;
        for (int y = Math.max(0, y0); y < Math.min(height, y1); y++) {
          for (int x = Math.max(0, x0); x < Math.min(width, x1); x++) {
            sum += pixels[y * width + x];
            n++;
          }
        }
        out[j * w + i] = n > 0 ? (float) (sum / n) : bilinear((i + 0.5) * fx - 0.5, (j + 0.5) * fy - 0.5);
      }
    }
    return new GrayImage(w, h, out);
  }

  /** Bilinear sample at (x, y), clamped to the border. */
  private float bilinear(double x, double y) {
    double cx = Math.max(0, Math.min(width - 1, x));
    double cy = Math.max(0, Math.min(height - 1, y));
    int x0 = (int) Math.floor(cx);
    int y0 = (int) Math.floor(cy);
    int x1 = Math.min(width - 1, x0 + 1);
    int y1 = Math.min(height - 1, y0 + 1);
    double ax = cx - x0;
    double ay = cy - y0;
    return (float) ((1 - ax) * (1 - ay) * at(x0, y0) + ax * (1 - ay) * at(x1, y0)
        + (1 - ax) * ay * at(x0, y1) + ax * ay * at(x1, y1));
  }

  public float at(int x, int y) {
    return pixels[y * width + x];
  }
}
