package io.finmix.model.tokenizer;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokenizers by spec, one instance per JVM (a Spark executor loads each once): {@code bytes},
 * or the path of a {@code tokenizer.json}.
 */
public final class Tokenizers {

  private static final Map<String, TextTokenizer> LOADED = new ConcurrentHashMap<>();

  private Tokenizers() {}

  /** The tokenizer a spec names, loaded on first use. */
  public static TextTokenizer load(String spec) {
    if (spec.equals("bytes")) {
      return ByteTokenizer.INSTANCE;
    }
    return LOADED.computeIfAbsent(spec, s -> new HfTokenizer(Path.of(s), null));
  }

  /** Drops a loaded tokenizer (its file was rewritten); the next load reads the file again. */
  public static void forget(String spec) {
    ExampleEncoder.forget(spec);
    TextTokenizer t = LOADED.remove(spec);
    if (t instanceof HfTokenizer hf) {
      hf.close();
    }
  }

  /**
   * DJL must never reach for the network: no library download, no usage telemetry. Set before
   * its first call; the native library is the one inside the jar.
   */
  static void offline() {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
  }
}
