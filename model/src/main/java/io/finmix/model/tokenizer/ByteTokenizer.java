package io.finmix.model.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * The tokenizer that needs no file: one token per UTF-8 byte (ids 0-255) and an
 * end-of-sequence token 256. Exact on every text, and what the embedded default uses before a
 * tokenizer is trained.
 */
public final class ByteTokenizer implements TextTokenizer {

  public static final ByteTokenizer INSTANCE = new ByteTokenizer();

  private ByteTokenizer() {}

  @Override
  public String id() {
    return "bytes";
  }

  @Override
  public int[] encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = bytes[i] & 0xff;
    }
    return ids;
  }

  @Override
  public String decode(int[] ids) {
    byte[] bytes = new byte[ids.length];
    int n = 0;
    for (int id : ids) {
      if (id < 256) {
        bytes[n++] = (byte) id;
      }
    }
    return new String(bytes, 0, n, StandardCharsets.UTF_8);
  }

  @Override
  public int eosId() {
    return 256;
  }

  @Override
  public int vocabSize() {
    return 257;
  }
}
