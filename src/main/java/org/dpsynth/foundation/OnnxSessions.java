package org.dpsynth.foundation;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * How every in-process ONNX model here is opened: {@code intraOpThreads} threads for one operator
 * (from {@code embedder.threads}), one operator at a time, all graph optimisations, and pool threads
 * that sleep when idle, so that executor cores × model threads do not oversubscribe the machine.
 */
public final class OnnxSessions {
  private OnnxSessions() {}

  /**
   * A session on {@code model} (ONNX protobuf bytes); the caller closes it.
   *
   * @throws IllegalArgumentException if {@code intraOpThreads < 1}
   * @throws OrtException if ONNX Runtime cannot load the bytes
   */
  public static OrtSession open(OrtEnvironment env, byte[] model, int intraOpThreads) throws OrtException {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, was " + intraOpThreads);
    }
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(intraOpThreads);
      opts.setInterOpNumThreads(1);
      opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      // Executor task threads share cores with the model's pool: idle pool threads must sleep, not spin.
      opts.addConfigEntry("session.intra_op.allow_spinning", "0");
      return env.createSession(model, opts);
    }
  }
}
