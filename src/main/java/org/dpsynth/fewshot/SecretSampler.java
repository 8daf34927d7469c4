package org.dpsynth.fewshot;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The randomness of the few-shot mechanism's sampling: HMAC-SHA256 under a secret 256-bit key
 * drawn from {@link SecureRandom} per run. Privacy amplification by subsampling needs the sample
 * to be hidden, so the key (unlike the public config seed) never leaves the run's private area.
 * Each user's Poisson inclusion in a draw, its subset and its example are independent functions of
 * (key, purpose, user, draw), so they are independent across users as the accountant assumes.
 */
final class SecretSampler implements Serializable {
  private static final long serialVersionUID = 1L;
  private final byte[] key;
  private transient Mac mac;

  SecretSampler(byte[] key) {
    if (key.length < 16) {
      throw new IllegalArgumentException("sampling key must have at least 128 bits");
    }
    this.key = key.clone();
  }

  static byte[] newKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return k;
  }

  /** A uniform 64-bit value for (purpose, user, label, demonstration, step). */
  long bits(char purpose, String user, int label, int demo, int step) {
    try {
      if (mac == null) {
        mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
      }
      byte[] u = user.getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(2 + 4 + u.length + 12);
      b.putChar(purpose).putInt(u.length).put(u).putInt(label).putInt(demo).putInt(step);
      byte[] h = mac.doFinal(b.array());
      return ByteBuffer.wrap(h).getLong();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** True with probability q: the user joins this draw (Poisson sampling). */
  boolean sampled(double q, String user, int label, int demo, int step) {
    double u = (bits('s', user, label, demo, step) >>> 11) * 0x1.0p-53;
    return u < q;
  }

  /** Uniform index in [0, n). */
  int index(char purpose, int n, String user, int label, int demo, int step) {
    return (int) Math.floorMod(bits(purpose, user, label, demo, step), (long) n);
  }
}
