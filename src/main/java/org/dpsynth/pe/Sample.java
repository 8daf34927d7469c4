package org.dpsynth.pe;

import java.io.Serializable;

/**
 * One synthetic item of the population: public data only. The engine never looks inside {@code
 * text}; it reaches the models through the Generator and Embedder interfaces.
 */
public record Sample(String id, String label, String text, int iteration, String parentId) implements Serializable {}
