package org.dpsynth.cli;

import java.util.function.Consumer;

/**
 * Fault injection for resume tests: with {@code -Ddpsynth.haltAt=PHASE} the driver JVM halts
 * abruptly (no shutdown hooks, exit code 137, like a kill -9) right after that phase completes.
 */
final class PhaseHalt {
  private PhaseHalt() {}

  static Consumer<String> fromSystemProperty() {
    String at = System.getProperty("dpsynth.haltAt");
    if (at == null || at.isBlank()) {
      return phase -> {};
    }
    return phase -> {
      if (phase.equals(at)) {
        System.out.println("halting at " + phase + " (dpsynth.haltAt)");
        System.out.flush();
        Runtime.getRuntime().halt(137);
      }
    };
  }
}
