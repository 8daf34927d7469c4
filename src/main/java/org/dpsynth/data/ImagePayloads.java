package org.dpsynth.data;

import java.util.Base64;
import org.apache.spark.sql.api.java.UDF1;
import org.dpsynth.foundation.image.GrayImage;

/**
 * Checks one private image and makes it the engine's canonical payload (base64 of an 8-bit gray
 * PNG): {@code null} stays null (a missing image), an empty, undecodable or wrongly sized image
 * becomes {@code ""} (a bad image, counted by {@link ContributionBounds}; its bytes are never
 * echoed or logged).
 */
final class ImagePayloads {
  private ImagePayloads() {}

  static String canonical(byte[] bytes, int width, int height) {
    GrayImage g = GrayImage.decode(bytes);
    if (g == null || g.width() != width || g.height() != height) {
      return "";
    }
    return g.payload();
  }

  /** A Parquet binary column of PNG bytes. */
  record FromBytes(int width, int height) implements UDF1<byte[], String> {

    @Override
    public String call(byte[] bytes) {
      return bytes == null ? null : canonical(bytes, width, height);
    }
  }

  /** A string column of base64 PNG (JSON Lines, CSV). */
  record FromBase64(int width, int height) implements UDF1<String, String> {

    @Override
    public String call(String b64) {
      if (b64 == null) {
        return null;
      }
      byte[] bytes;
      try {
        bytes = Base64.getMimeDecoder().decode(b64.strip());
      } catch (IllegalArgumentException e) {
        return "";
      }
      return canonical(bytes, width, height);
    }
  }
}
