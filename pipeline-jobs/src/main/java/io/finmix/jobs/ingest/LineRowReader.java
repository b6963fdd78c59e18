package io.finmix.jobs.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;

/**
 * Reads the lines of a slice of a file (JSONL, or text lines such as {@code sentence@label}):
 * every line that starts at an offset in [start, end). Lines end at LF; a CR before it is
 * dropped. Blank lines are not rows and are skipped.
 */
final class LineRowReader extends NativeRowReader {

  private final ByteInput in;
  private final long end;
  private final Format format;
  private final SourceSpec.LinesOptions lines;
  private final Charset charset;
  private final CharsetDecoder decoder;
  private final ObjectMapper json;
  private final int maxLineBytes;
  private final ByteBuf line;

  /** {@code in} is positioned at the first byte of the first line of the slice. */
  LineRowReader(ByteInput in, long end, SourceSpec spec, ObjectMapper json) {
    this.in = in;
    this.end = end;
    this.format = spec.format();
    this.lines = spec.lines();
    this.charset = Charset.forName(spec.encoding());
    this.decoder = ByteBuf.strictDecoder(charset);
    this.json = json;
    this.maxLineBytes = (int) Math.min(Integer.MAX_VALUE - 16, 4L * spec.maxChars() + 1024);
    this.line = new ByteBuf(maxLineBytes);
  }

  /** Moves {@code in}, opened at {@code start - 1}, to the first line starting at or after start. */
  static void skipToLineStart(ByteInput in) throws IOException {
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      // the previous slice owns this line
    }
  }

  @Override
  protected NativeRow advance() throws IOException {
    while (true) {
      long offset = in.position();
      if (offset >= end) {
        return null;
      }
      line.clear();
      int b;
      boolean any = false;
      while ((b = in.read()) != -1 && b != '\n') {
        line.add(b);
        any = true;
      }
      if (!any && b == -1) {
        return null;
      }
      if (line.last() == '\r' && !line.overflow()) {
        line.dropLast();
      }
      if (line.overflow()) {
        return NativeRow.failed(offset, QuarantineReason.TOO_LONG, "line longer than "
            + maxLineBytes + " bytes", line.copy(), charset);
      }
      String text;
      try {
        text = line.decode(decoder, offset == 0 ? bomLength() : 0);
      } catch (CharacterCodingException e) {
        return NativeRow.failed(offset, QuarantineReason.BAD_ENCODING, "invalid " + charset.name()
            + " byte sequence in the line", line.copy(), charset);
      }
      if (text.isBlank()) {
        continue;
      }
      return format == Format.JSONL ? jsonLine(offset, text) : textLine(offset, text);
    }
  }

  private int bomLength() {
    return charset.name().equals("UTF-8") && line.length() >= 3 && startsWithBom() ? 3 : 0;
  }

  private boolean startsWithBom() {
    byte[] head = line.copy();
    return (head[0] & 0xff) == 0xEF && (head[1] & 0xff) == 0xBB && (head[2] & 0xff) == 0xBF;
  }

  private NativeRow jsonLine(long offset, String text) {
    try {
      JsonNode node = json.readTree(text);
      if (!node.isObject()) {
        return NativeRow.failed(offset, QuarantineReason.MALFORMED_JSON,
            "expected a JSON object, found " + node.getNodeType().name().toLowerCase(), text,
            charset);
      }
      return NativeRow.parsed(offset, null, node, text, charset);
    } catch (JsonProcessingException e) {
      return NativeRow.failed(offset, QuarantineReason.MALFORMED_JSON, JsonErrors.describe(e),
          text, charset);
    }
  }

  private NativeRow textLine(long offset, String text) {
    ObjectNode node = json.createObjectNode();
    if (lines.separator().isEmpty()) {
      node.put(lines.columns().get(0), text);
    } else {
      int at = text.lastIndexOf(lines.separator());
      if (at < 0) {
        return NativeRow.failed(offset, QuarantineReason.MALFORMED_LINE, "no '"
            + lines.separator() + "' separator in the line", text, charset);
      }
      node.put(lines.columns().get(0), text.substring(0, at));
      node.put(lines.columns().get(1), text.substring(at + lines.separator().length()));
    }
    return NativeRow.parsed(offset, null, node, text, charset);
  }
}
