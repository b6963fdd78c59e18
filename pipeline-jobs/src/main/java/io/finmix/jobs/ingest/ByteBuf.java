package io.finmix.jobs.ingest;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.util.Arrays;

/** A growable byte array that stops storing past a cap (and remembers it overflowed). */
final class ByteBuf {

  private byte[] bytes = new byte[256];
  private int length;
  private final int cap;
  private boolean overflow;

  ByteBuf(int cap) {
    this.cap = cap;
  }

  void add(int b) {
    if (length == cap) {
      overflow = true;
      return;
    }
    if (length == bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.min(cap, bytes.length * 2));
    }
    bytes[length++] = (byte) b;
  }

  void clear() {
    length = 0;
    overflow = false;
  }

  int length() {
    return length;
  }

  boolean overflow() {
    return overflow;
  }

  int last() {
    return length == 0 ? -1 : bytes[length - 1] & 0xff;
  }

  void dropLast() {
    length--;
  }

  byte[] copy() {
    return Arrays.copyOf(bytes, length);
  }

  /** Decodes strictly: malformed or unmappable bytes throw. */
  String decode(CharsetDecoder decoder) throws CharacterCodingException {
    return decode(decoder, 0);
  }

  /** Decodes strictly from {@code from} on. */
  String decode(CharsetDecoder decoder, int from) throws CharacterCodingException {
    CharBuffer chars = decoder.reset().decode(ByteBuffer.wrap(bytes, from, length - from));
    return chars.toString();
  }

  /** A strict decoder for a charset. */
  static CharsetDecoder strictDecoder(Charset charset) {
    return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
  }
}
