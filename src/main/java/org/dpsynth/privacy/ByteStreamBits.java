package org.dpsynth.privacy;

/** {@link RandomBits} served from a refillable byte buffer; subclasses supply the bytes. */
abstract class ByteStreamBits implements RandomBits {

  private final byte[] buffer;
  private int bytePos;
  private long word;
  private int wordBits;

  ByteStreamBits(int bufferBytes) {
    this.buffer = new byte[bufferBytes];
    this.bytePos = bufferBytes;
  }

  /** Fill the whole array with fresh random bytes. */
  protected abstract void refill(byte[] into);

  private long nextByte() {
    if (bytePos == buffer.length) {
      refill(buffer);
      bytePos = 0;
    }
    return buffer[bytePos++] & 0xFFL;
  }

  @Override
  public final boolean nextBit() {
    if (wordBits == 0) {
      word = nextByte();
      wordBits = 8;
    }
    boolean bit = (word & 1) != 0;
    word >>>= 1;
    wordBits--;
    return bit;
  }

  @Override
  public final long nextBits(int k) {
    if (k < 0 || k > 63) {
      throw new IllegalArgumentException("k must be in [0, 63], got " + k);
    }
    long result = 0;
    int have = 0;
    while (have < k) {
      if (wordBits == 0) {
        word = nextByte();
        wordBits = 8;
      }
      int take = Math.min(k - have, wordBits);
      result |= (word & ((1L << take) - 1)) << have;
      word >>>= take;
      wordBits -= take;
      have += take;
    }
    return result;
  }
}
