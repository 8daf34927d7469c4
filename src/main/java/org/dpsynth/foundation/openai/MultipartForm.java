package org.dpsynth.foundation.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A {@code multipart/form-data} body (RFC 7578) of text fields and files, as the image edit and
 * variation endpoints take it. The boundary is random (32 hex digits), so it cannot occur in PNG
 * data or a prompt except by a 2^-128 chance.
 */
public final class MultipartForm {
  private record Part(String name, String filename, String contentType, byte[] data) {}

  private static final SecureRandom BOUNDARIES = new SecureRandom();

  private final List<Part> parts = new ArrayList<>();
  private final String boundary;

  public MultipartForm() {
    byte[] b = new byte[16];
    BOUNDARIES.nextBytes(b);
    boundary = "dpsynth-" + HexFormat.of().formatHex(b);
  }

  /** Adds a text field. */
  public MultipartForm field(String name, String value) {
    parts.add(new Part(name, null, null, value.getBytes(StandardCharsets.UTF_8)));
    return this;
  }

  /** Adds a file part. */
  public MultipartForm file(String name, String filename, String contentType, byte[] data) {
    parts.add(new Part(name, filename, contentType, data.clone()));
    return this;
  }

  public String contentType() {
    return "multipart/form-data; boundary=" + boundary;
  }

  byte[] body() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Part p : parts) {
      StringBuilder h = new StringBuilder("--").append(boundary).append("\r\n");
      h.append("Content-Disposition: form-data; name=\"").append(p.name()).append('"');
      if (p.filename() != null) {
        h.append("; filename=\"").append(p.filename()).append('"');
      }
      h.append("\r\n");
      if (p.contentType() != null) {
        h.append("Content-Type: ").append(p.contentType()).append("\r\n");
      }
      h.append("\r\n");
      out.writeBytes(h.toString().getBytes(StandardCharsets.UTF_8));
      out.writeBytes(p.data());
      out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  /**
   * What the response cache keys on: each field's value and, for a file, its name, type and the
   * SHA-256 of its bytes (never the boundary, which is random).
   */
  ObjectNode cacheView() {
    ObjectNode v = OpenAiClient.JSON.createObjectNode();
    for (Part p : parts) {
      String value =
          p.filename() == null
              ? new String(p.data(), StandardCharsets.UTF_8)
              : p.filename() + ";" + p.contentType() + ";" + ResponseCache.sha256Hex(p.data());
      v.put(p.name(), value);
    }
    return v;
  }
}
