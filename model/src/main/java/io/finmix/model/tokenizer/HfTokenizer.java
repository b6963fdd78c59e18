package io.finmix.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.finmix.model.io.JsonFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} (any model type the Rust tokenizers library reads),
 * through DJL's binding, offline. Encoding adds no special tokens and never truncates or pads;
 * special tokens written in the text (a chat template's {@code <|im_start|>}) are still
 * recognised as such. Thread-safe; hold one per JVM ({@link Tokenizers#load}).
 */
public final class HfTokenizer implements TextTokenizer, AutoCloseable {

  private final HuggingFaceTokenizer tokenizer;
  private final String id;
  private final int eosId;
  private final int vocabSize;

  /**
   * Loads {@code tokenizerJson}; the end-of-sequence token is {@code eosToken}, or, when null,
   * the {@code eos_token} of the {@code tokenizer_config.json} beside it.
   */
  public HfTokenizer(Path tokenizerJson, String eosToken) {
    Tokenizers.offline();
    if (!Files.isRegularFile(tokenizerJson)) {
      throw new IllegalArgumentException("tokenizer file " + tokenizerJson + " does not exist");
    }
    // Read once: DJL, the id (a hash of the bytes) and the vocab size all use these bytes.
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(tokenizerJson);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + tokenizerJson, e);
    }
    try {
      this.tokenizer = HuggingFaceTokenizer.newInstance(new java.io.ByteArrayInputStream(bytes),
          Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot load tokenizer " + tokenizerJson + ": "
          + e.getMessage(), e);
    }
    String eos = eosToken != null ? eosToken : eosFromConfig(tokenizerJson);
    long[] eosIds = tokenizer.encode(eos).getIds();
    if (eosIds.length != 1) {
      throw new IllegalArgumentException("end-of-sequence token '" + eos + "' is not one token "
          + "of " + tokenizerJson);
    }
    this.eosId = (int) eosIds[0];
    this.id = idOf(tokenizerJson, bytes);
    this.vocabSize = vocabSize(JsonFiles.parse(new String(bytes, StandardCharsets.UTF_8), tokenizerJson));
  }

  /**
   * A short stable name: the file's folder and the first 8 hex digits of its SHA-256
   * ({@code qwen3-aeb13307}), the same wherever the file is mounted.
   */
  static String idOf(Path tokenizerJson, byte[] bytes) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
      Path dir = tokenizerJson.toAbsolutePath().normalize().getParent();
      String name = dir == null || dir.getFileName() == null ? "tokenizer"
          : dir.getFileName().toString();
      return name.replaceAll("[^A-Za-z0-9_.-]", "_") + "-"
          + java.util.HexFormat.of().formatHex(digest, 0, 4);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String eosFromConfig(Path tokenizerJson) {
    Path config = tokenizerJson.resolveSibling("tokenizer_config.json");
    if (!Files.isRegularFile(config)) {
      throw new IllegalArgumentException("no end-of-sequence token given for " + tokenizerJson
          + " and no tokenizer_config.json beside it to read eos_token from");
    }
    String eos = specialToken(JsonFiles.read(config), "eos_token");
    if (eos == null) {
      throw new IllegalArgumentException(config + " has no eos_token");
    }
    return eos;
  }

  /**
   * A special token of a {@code tokenizer_config.json} ({@code "eos_token": "</s>"}, or an
   * added-token object with its {@code content}); null when absent.
   */
  static String specialToken(JsonObject config, String key) {
    JsonElement v = config.get(key);
    if (v != null && v.isJsonObject()) {
      v = v.getAsJsonObject().get("content");
    }
    return v != null && v.isJsonPrimitive() ? v.getAsString() : null;
  }

  /** One more than the largest id of the model's vocab and the added tokens. */
  private static int vocabSize(JsonObject root) {
    int max = -1;
    JsonElement model = root.get("model");
    if (model != null && model.isJsonObject() && model.getAsJsonObject().has("vocab")
        && model.getAsJsonObject().get("vocab").isJsonObject()) {
      for (Map.Entry<String, JsonElement> e
          : model.getAsJsonObject().getAsJsonObject("vocab").entrySet()) {
        max = Math.max(max, e.getValue().getAsInt());
      }
    }
    JsonElement added = root.get("added_tokens");
    if (added != null && added.isJsonArray()) {
      for (JsonElement t : added.getAsJsonArray()) {
        max = Math.max(max, t.getAsJsonObject().get("id").getAsInt());
      }
    }
    return max + 1;
  }

  /** A JSON file that must hold an object; errors name the file. */

  @Override
  public String id() {
    return id;
  }

  @Override
  public int[] encode(String text) {
    long[] ids = tokenizer.encode(text).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = (int) ids[i];
    }
    return out;
  }

  @Override
  public String decode(int[] ids) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      longs[i] = ids[i];
    }
    return tokenizer.decode(longs, false);
  }

  @Override
  public int eosId() {
    return eosId;
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
