package io.finmix.model.tokenizer;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a byte-level BPE tokenizer in the Hugging Face {@code tokenizer.json} format (the
 * GPT-2 layout: the 256 byte symbols as ids 0-255, then one token per merge in merge order,
 * then the special tokens), which {@link HfTokenizer}, DJL and Python's tokenizers all load.
 */
public final class ByteLevelBpeFile {

  private static final char[] BYTE_TO_CHAR = byteToChar();

  private ByteLevelBpeFile() {}

  /** The symbol a byte is written as (GPT-2's printable remapping of bytes). */
  public static char symbol(int b) {
    return BYTE_TO_CHAR[b & 0xff];
  }

  /** A text's bytes as symbols: the form merges and vocab entries are written in. */
  public static String symbols(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      out.append(symbol(b));
    }
    return out.toString();
  }

  /**
   * Writes the file: {@code merges} as pairs of symbol strings (each pair's concatenation is
   * the next token), and {@code specialTokens} after them (the first is the end of sequence).
   */
  public static void write(Path file, List<String[]> merges, List<String> specialTokens)
      throws IOException {
    JsonObject vocab = new JsonObject();
    for (int b = 0; b < 256; b++) {
      vocab.addProperty(String.valueOf(symbol(b)), b);
    }
    JsonArray mergeList = new JsonArray();
    int next = 256;
    for (String[] m : merges) {
      if (!vocab.has(m[0]) || !vocab.has(m[1])) {
        throw new IllegalArgumentException("merge " + m[0] + " + " + m[1] + " uses a token "
            + "that no earlier merge made");
      }
      String merged = m[0] + m[1];
      if (!vocab.has(merged)) {
        vocab.addProperty(merged, next++);
      }
      mergeList.add(m[0] + " " + m[1]);
    }
    JsonArray added = new JsonArray();
    for (String special : specialTokens) {
      JsonObject t = new JsonObject();
      t.addProperty("id", next++);
      t.addProperty("content", special);
      t.addProperty("single_word", false);
      t.addProperty("lstrip", false);
      t.addProperty("rstrip", false);
      t.addProperty("normalized", false);
      t.addProperty("special", true);
      added.add(t);
    }
    JsonObject root = new JsonObject();
    root.addProperty("version", "1.0");
    root.add("truncation", JsonNull.INSTANCE);
    root.add("padding", JsonNull.INSTANCE);
    root.add("added_tokens", added);
    root.add("normalizer", JsonNull.INSTANCE);
    root.add("pre_tokenizer", byteLevel());
    root.add("post_processor", byteLevel());
    root.add("decoder", byteLevel());
    JsonObject model = new JsonObject();
    model.addProperty("type", "BPE");
    model.add("dropout", JsonNull.INSTANCE);
    model.add("unk_token", JsonNull.INSTANCE);
    model.add("continuing_subword_prefix", JsonNull.INSTANCE);
    model.add("end_of_word_suffix", JsonNull.INSTANCE);
    model.addProperty("fuse_unk", false);
    model.addProperty("byte_fallback", false);
    model.add("vocab", vocab);
    model.add("merges", mergeList);
    root.add("model", model);
    Files.writeString(file, new GsonBuilder().serializeNulls().disableHtmlEscaping().create()
        .toJson(root));
  }

  private static JsonObject byteLevel() {
    JsonObject o = new JsonObject();
    o.addProperty("type", "ByteLevel");
    o.addProperty("add_prefix_space", false);
    o.addProperty("trim_offsets", false);
    o.addProperty("use_regex", true);
    return o;
  }

  /** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest from U+0100. */
  private static char[] byteToChar() {
    char[] out = new char[256];
    int extra = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      out[b] = printable ? (char) b : (char) (256 + extra++);
    }
    return out;
  }
}
