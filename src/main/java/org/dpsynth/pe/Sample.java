package org.dpsynth.pe;

import java.io.Serializable;

/**
 * One synthetic item of the population: public data only. {@code text} is the sample's opaque
 * payload (the text, or for the image modality a base64 PNG); the engine never looks inside it and
 * reaches the models through the Generator and Embedder interfaces. {@code provenance}
 * is {@code generated} (written by the generator) or {@code public} (a verbatim copy of a public
 * record), as the generator reported it.
 */
public record Sample(String id, String label, String text, int iteration, String parentId, String provenance) implements Serializable {
  /** A generated sample. */
  public Sample(String id, String label, String text, int iteration, String parentId) {
    this(id, label, text, iteration, parentId, "generated");
  }
}
