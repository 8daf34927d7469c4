package org.dpsynth.foundation.ngram;

import java.util.Arrays;

/**
 * Open-addressing (linear probing) map from non-negative {@code long} keys to {@code int} values,
 * used for n-gram counts without boxing. Not thread-safe; the model only mutates it while building.
 */
final class LongIntHashMap {
  private static final long EMPTY = -1L;

  private long[] keys;
  private int[] values;
  private int size;
  private int mask;

  LongIntHashMap(int expected) {
    int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new long[cap];
    Arrays.fill(keys, EMPTY);
    values = new int[cap];
    mask = cap - 1;
  }

  int size() {
    return size;
  }

  /** Adds {@code delta} to the value of {@code key} (absent keys start at 0). */
  void addTo(long key, int delta) {
    int i = slot(key);
    if (keys[i] == EMPTY) {
      keys[i] = key;
      values[i] = delta;
      if (++size * 10 > keys.length * 6) {
        grow();
      }
    } else {
      values[i] += delta;
    }
  }

  void put(long key, int value) {
    int i = slot(key);
    if (keys[i] == EMPTY) {
      keys[i] = key;
      values[i] = value;
      if (++size * 10 > keys.length * 6) {
        grow();
      }
    } else {
      values[i] = value;
    }
  }

  int get(long key, int absent) {
    int i = slot(key);
    return keys[i] == EMPTY ? absent : values[i];
  }

  /** All keys, in ascending order. */
  long[] sortedKeys() {
    long[] out = new long[size];
    int j = 0;
    for (long k : keys) {
      if (k != EMPTY) {
        out[j++] = k;
      }
    }
    Arrays.sort(out);
    return out;
  }

  private int slot(long key) {
    if (key < 0) {
      throw new IllegalArgumentException("keys must be non-negative: " + key);
    }
    int i = (int) mix(key) & mask;
    while (keys[i] != EMPTY && keys[i] != key) {
      i = (i + 1) & mask;
    }
    return i;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    Arrays.fill(keys, EMPTY);
    values = new int[keys.length];
    mask = keys.length - 1;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != EMPTY) {
        int s = slot(oldKeys[i]);
        keys[s] = oldKeys[i];
        values[s] = oldValues[i];
      }
    }
  }

  /** MurmurHash3's 64-bit finaliser: spreads packed n-gram ids over the table. */
  static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }
}
