package org.dpsynth.foundation.openai;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A test class whose every test gets a fresh {@link OpenAiCompatibleServer} on 127.0.0.1 in {@link #server}. */
abstract class WithOpenAiServer {
  OpenAiCompatibleServer server;

  @BeforeEach
  void startServer() {
    server = OpenAiCompatibleServer.start();
  }

  @AfterEach
  void stopServer() {
    server.close();
  }
}
