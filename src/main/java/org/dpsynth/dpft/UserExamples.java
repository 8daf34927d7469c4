package org.dpsynth.dpft;

import java.io.Serializable;

/**
 * One user's bounded records as token ids, with the control code (label index + 1) of each.
 * Lives only on executors; the driver never collects it. A plain class, not a record: RDD elements
 * are serialised with Kryo, which cannot build Java records.
 */
public final class UserExamples implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String user;
  private final int[][] tokens;
  private final int[] codes;

  public UserExamples(String user, int[][] tokens, int[] codes) {
    if (tokens.length != codes.length) {
      throw new IllegalArgumentException("one control code per record expected");
    }
    this.user = user;
    this.tokens = tokens;
    this.codes = codes;
  }

  public String user() {
    return user;
  }

  public int[][] tokens() {
    return tokens;
  }

  public int[] codes() {
    return codes;
  }
}
