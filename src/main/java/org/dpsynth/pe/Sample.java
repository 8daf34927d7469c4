package org.dpsynth.pe;

import java.io.Serializable;

/**
 * One synthetic item of the population: public data only. The engine never looks inside {@code
 * text}; it reaches the models through the Generator and Embedder interfaces. {@code provenance}
 * is {@code generated} (written by the generator) or {@code public} (a verbatim copy of a public
 * record), as the generator reported it.
 */
public record Sample(String id, String label, String text, int iteration, String parentId, String provenance) implements Serializable {
  /** A generated sample. */
  public Sample(String id, String label, String text, int iteration, String parentId) {
    this(id, label, text, iteration, parentId, "generated");
  }
}
