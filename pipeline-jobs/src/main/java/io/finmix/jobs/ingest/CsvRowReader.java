package io.finmix.jobs.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an RFC 4180 CSV file at the byte level, so each record's byte offset is exact and each
 * field is decoded strictly in the file's charset. Quoted fields may hold delimiters, doubled
 * quotes and line breaks; records end at LF or CRLF. Works for any ASCII-compatible charset.
 *
 * <p>A record with the wrong number of fields, text after a closing quote or an unterminated
 * quote becomes a {@code malformed_csv} row; reading goes on with the next record.
 */
final class CsvRowReader extends NativeRowReader {

  private final ByteInput in;
  private final SourceSpec.CsvOptions options;
  private final Charset charset;
  private final CharsetDecoder decoder;
  private static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  private final ObjectMapper json;
  private final int maxRecordBytes;
  private final ByteBuf raw;
  private final List<ByteBuf> fields = new ArrayList<>();
  private int fieldCount;
  private List<String> columns;
  /** The header row failed: no later row can be mapped, each is quarantined saying so. */
  private boolean headerBroken;
  /** Whether the record just read had a quoted field. */
  private boolean quotedField;
  private boolean bomChecked;

  CsvRowReader(ByteInput in, SourceSpec spec, ObjectMapper json) {
    this.in = in;
    this.options = spec.csv();
    this.charset = Charset.forName(spec.encoding());
    this.decoder = ByteBuf.strictDecoder(charset);
    this.json = json;
    this.maxRecordBytes = (int) Math.min(Integer.MAX_VALUE - 16, 4L * spec.maxChars() + 1024);
    this.raw = new ByteBuf(maxRecordBytes);
    this.columns = options.header() ? null : options.columns();
  }

  @Override
  protected NativeRow advance() throws IOException {
    skipBom();
    while (true) {
      long offset = in.position();
      String problem = readRecord();
      if (problem == null && fieldCount == 0) {
        return null; // end of file
      }
      if (problem == null && fieldCount == 1 && fields.get(0).length() == 0 && !quotedField) {
        continue; // a blank line is not a record (a line holding "" is)
      }
      if (headerBroken) {
        return NativeRow.failed(offset, QuarantineReason.MALFORMED_CSV, "the file's header row "
            + "could not be read, so its columns are unknown", raw.copy(), charset);
      }
      if (problem != null) {
        headerBroken = columns == null;
        return NativeRow.failed(offset, problem.startsWith("record longer")
            ? QuarantineReason.TOO_LONG : QuarantineReason.MALFORMED_CSV, problem, raw.copy(),
            charset);
      }
      List<String> values = new ArrayList<>(fieldCount);
      for (int i = 0; i < fieldCount; i++) {
        try {
          values.add(fields.get(i).decode(decoder));
        } catch (CharacterCodingException e) {
          headerBroken = columns == null;
          return NativeRow.failed(offset, QuarantineReason.BAD_ENCODING, "invalid "
              + charset.name() + " byte sequence in field " + (i + 1), raw.copy(), charset);
        }
      }
      if (columns == null) {
        columns = options.columns().isEmpty() ? values : options.columns();
        continue; // the header row
      }
      if (values.size() != columns.size()) {
        return NativeRow.failed(offset, QuarantineReason.MALFORMED_CSV, "expected "
            + columns.size() + " fields " + columns + ", found " + values.size(), raw.copy(),
            charset);
      }
      ObjectNode node = json.createObjectNode();
      for (int i = 0; i < values.size(); i++) {
        node.put(columns.get(i), values.get(i));
      }
      return NativeRow.parsed(offset, null, node, raw.copy(), charset);
    }
  }

  private void skipBom() throws IOException {
    if (!bomChecked) {
      bomChecked = true;
      if (charset.name().equals("UTF-8")) {
        in.skipPrefix(UTF8_BOM);
      }
    }
  }

  /**
   * Reads one record into {@link #fields}; returns null when it is well formed (fieldCount 0 at
   * the end of the file), or what is wrong with it.
   */
  private String readRecord() throws IOException {
    raw.clear();
    fieldCount = 0;
    quotedField = false;
    String problem = null;
    int delimiter = options.delimiter();
    int quote = options.quote();
    int b = in.read();
    if (b == -1) {
      return null;
    }
    ByteBuf field = startField();
    boolean quoted = false;
    boolean afterQuote = false;
    boolean fieldStart = true;
    while (true) {
      if (b == -1) {
        if (quoted && !afterQuote) {
          problem = "unterminated quoted field " + fieldCount;
        } else if (!quoted && field.last() == '\r') {
          field.dropLast();
        }
        break;
      }
      raw.add(b);
      if (quoted) {
        if (afterQuote) {
          if (b == quote) {
            field.add(b); // a doubled quote
            afterQuote = false;
          } else if (b == delimiter) {
            field = startField();
            quoted = false;
            afterQuote = false;
            fieldStart = true;
          } else if (b == '\n') {
            break;
          } else if (b == '\r' && in.peek() == '\n') {
            raw.add(in.read());
            break;
          } else {
            problem = "text after the closing quote of field " + fieldCount;
            skipRestOfLine();
            break;
          }
        } else if (b == quote) {
          afterQuote = true;
        } else {
          field.add(b);
        }
      } else if (fieldStart && b == quote) {
        quoted = true;
        quotedField = true;
        fieldStart = false;
      } else if (b == delimiter) {
        field = startField();
        fieldStart = true;
      } else if (b == '\n') {
        if (field.last() == '\r') {
          field.dropLast();
        }
        break;
      } else {
        field.add(b);
        fieldStart = false;
      }
      b = in.read();
    }
    if (problem == null && (raw.overflow() || anyOverflow())) {
      problem = "record longer than " + maxRecordBytes + " bytes";
    }
    return problem;
  }

  private boolean anyOverflow() {
    for (int i = 0; i < fieldCount; i++) {
      if (fields.get(i).overflow()) {
        return true;
      }
    }
    return false;
  }

  private void skipRestOfLine() throws IOException {
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      raw.add(b);
    }
  }

  private ByteBuf startField() {
    if (fieldCount == fields.size()) {
      fields.add(new ByteBuf(maxRecordBytes));
    }
    ByteBuf f = fields.get(fieldCount++);
    f.clear();
    return f;
  }
}
