package org.dpsynth.dpft;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Poisson sampling of users for one DP-SGD step, matching the accountant ({@code
 * RdpAccountant}): every user is in the step's batch independently with probability q.
 *
 * <p>The coin of user u is HMAC-SHA256(key, u) read as a uniform number in [0, 1). In production
 * ({@link #secure()}) the key is 32 fresh bytes from {@link SecureRandom} per step, held only in
 * memory and never written anywhere, so which users a step used is unpredictable to an adversary
 * and cannot be recomputed later. {@link #seeded} derives the key from a public seed and the step
 * number so tests (and resume tests) are reproducible; it is marked as test-only in the manifest.
 */
public final class PoissonSampling implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final double TWO_TO_53 = 0x1p53;

  private final byte[] key;

  private PoissonSampling(byte[] key) {
    this.key = key;
  }

  /** A fresh secret key from SecureRandom. */
  public static PoissonSampling secure() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return new PoissonSampling(k);
  }

  /** A key derived from a public seed and the step (tests only: the sample is predictable). */
  public static PoissonSampling seeded(long seed, int step) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(ByteBuffer.allocate(16).putLong(seed).putLong(step).array());
      return new PoissonSampling(sha.digest());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** True when {@code user} is in this step's batch (probability q). */
  public boolean sampled(String user, double q) {
    return uniform("user\u0000" + user) < q;
  }

  /** A secret score that orders a user's records for this step (smallest first are used). */
  public double exampleScore(String user, int record) {
    return uniform("record\u0000" + user + "\u0000" + record);
  }

  private double uniform(String message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] h = mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
      long bits = ByteBuffer.wrap(h).getLong() >>> 11;
      return bits / TWO_TO_53;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
