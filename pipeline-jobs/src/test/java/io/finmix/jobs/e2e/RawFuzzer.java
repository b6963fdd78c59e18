package io.finmix.jobs.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Seeded corruption of a copy of a line-oriented raw file (JSONL, {@code text@label} lines, or
 * CSV) whose row offsets are known: chosen rows are truncated, get a byte their charset cannot
 * hold, broken quotes or JSON, a field too many, or a value far over the row limit, and garbage
 * rows are inserted between rows. No change moves another row's boundaries, so each row of the
 * copy is known, and with it the quarantine reason ingest's readers document for it.
 */
final class RawFuzzer {

  enum Format { JSONL, LINES, CSV }

  enum Mutation { TRUNCATED, BAD_BYTE, BROKEN_SYNTAX, EXTRA_FIELD, HUGE_VALUE }

  /** A raw file's format and charset. */
  record Layout(Format format, Charset charset) {

    /** A byte no text of the charset may hold, or -1 (ISO-8859-1 maps every byte). */
    int badByte() {
      return switch (charset.name()) {
        case "UTF-8" -> 0xFF;
        case "windows-1252" -> 0x81;
        default -> -1;
      };
    }

    /** The reason of a row the format cannot parse. */
    String malformed() {
      return switch (format) {
        case JSONL -> "malformed_json";
        case LINES -> "malformed_line";
        case CSV -> "malformed_csv";
      };
    }
  }

  /**
   * A row of the fuzzed copy: its byte offset there, its offset in the original (-1 for an
   * inserted row), and the quarantine reason it must get with what was done (null for a row
   * left as it was, which must come out as it did from the original).
   */
  record Row(long offset, long originalOffset, String reason, String change) {}

  /** More bytes than any row may have: 4 x ingest.max_chars + 1024. */
  private static final int HUGE = 450_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Layout layout;
  private final Random rnd;

  RawFuzzer(Layout layout, Random rnd) {
    this.layout = layout;
    this.rnd = rnd;
  }

  /**
   * Writes {@code out}, a copy of {@code original} whose rows start at {@code rowOffsets}, with
   * up to {@code mutations} of the {@code mutable} rows changed and {@code inserts} garbage rows
   * inserted (never before the first row); returns every row of the copy in file order.
   */
  List<Row> fuzz(Path original, Path out, List<Long> rowOffsets, Set<Long> mutable,
      int mutations, int inserts) throws IOException {
    byte[] all = Files.readAllBytes(original);
    List<Long> candidates = new ArrayList<>(new TreeSet<>(mutable));
    Collections.shuffle(candidates, rnd);
    Set<Long> chosen = new TreeSet<>(candidates.subList(0, Math.min(mutations,
        candidates.size())));
    Set<Integer> insertBefore = new TreeSet<>();
    while (insertBefore.size() < Math.min(inserts, rowOffsets.size() - 1)) {
      insertBefore.add(1 + rnd.nextInt(rowOffsets.size() - 1));
    }
    byte[] eol = eolOf(all);
    ByteArrayOutputStream copy = new ByteArrayOutputStream(all.length + HUGE * mutations);
    copy.write(all, 0, (int) (long) rowOffsets.get(0));
    List<Row> rows = new ArrayList<>();
    List<Mutation> kinds = new ArrayList<>(Arrays.asList(Mutation.values()));
    for (int i = 0; i < rowOffsets.size(); i++) {
      if (insertBefore.contains(i)) {
        boolean binary = layout.badByte() >= 0 && rnd.nextBoolean();
        rows.add(new Row(copy.size(), -1, binary ? "bad_encoding" : layout.malformed(),
            binary ? "inserted binary garbage" : "inserted garbage"));
        copy.write(garbage(binary));
        copy.write(eol);
      }
      long start = rowOffsets.get(i);
      int end = i + 1 < rowOffsets.size() ? (int) (long) rowOffsets.get(i + 1) : all.length;
      byte[] row = Arrays.copyOfRange(all, (int) start, end);
      Changed changed = null;
      if (chosen.contains(start)) {
        Collections.shuffle(kinds, rnd);
        for (int k = 0; k < kinds.size() && changed == null; k++) {
          changed = mutate(kinds.get(k), row, eol);
        }
      }
      rows.add(new Row(copy.size(), start, changed == null ? null : changed.reason,
          changed == null ? null : changed.what));
      copy.write(changed == null ? row : changed.bytes);
    }
    Files.createDirectories(out.getParent());
    Files.write(out, copy.toByteArray());
    return rows;
  }

  private record Changed(byte[] bytes, String reason, String what) {}

  /** {@code row} changed by {@code m}, or null when the row has no place for it. */
  private Changed mutate(Mutation m, byte[] row, byte[] eol) {
    int end = contentEnd(row);
    return switch (m) {
      case TRUNCATED -> {
        // a prefix with no separator (and no quote) left: JSON cut short, a line or CSV
        // record of one field
        int limit = switch (layout.format()) {
          case JSONL -> end - 1;
          case LINES -> indexOf(row, '@', end);
          case CSV -> row[0] == '"' || indexOf(row, '"', indexOf(row, ',', end)) >= 0 ? -1
              : indexOf(row, ',', end);
        };
        int cut = asciiPosition(row, 1, limit, false);
        if (cut < 0) {
          yield null;
        }
        byte[] prefix = Arrays.copyOf(row, cut);
        if (new String(prefix, StandardCharsets.ISO_8859_1).isBlank()
            || layout.format() == Format.JSONL && isJsonObject(prefix)) {
          yield null;
        }
        yield new Changed(concat(prefix, eol), layout.malformed(), "truncated at byte " + cut);
      }
      case BAD_BYTE -> {
        int at = layout.badByte() < 0 ? -1 : asciiPosition(row, 1, end, true);
        yield at < 0 ? null : new Changed(insert(row, at, new byte[] {(byte) layout.badByte()}),
            "bad_encoding", String.format("byte 0x%02X inserted at %d", layout.badByte(), at));
      }
      case BROKEN_SYNTAX -> {
        if (layout.format() == Format.JSONL) {
          // the closing quote of the first key dropped
          int q = indexOf(row, "\":", end);
          if (q < 0) {
            yield null;
          }
          byte[] broken = concat(Arrays.copyOf(row, q), Arrays.copyOfRange(row, q + 1,
              row.length));
          yield isJsonObject(broken) ? null
              : new Changed(broken, "malformed_json", "closing quote of a key dropped");
        }
        int q = layout.format() == Format.CSV ? lastClosingQuote(row, end) : -1;
        yield q < 0 ? null : new Changed(insert(row, q + 1, "x".getBytes(layout.charset())),
            "malformed_csv", "text after the closing quote at " + q);
      }
      case EXTRA_FIELD -> switch (layout.format()) {
        case JSONL -> new Changed(concat(concat(new byte[] {'['}, Arrays.copyOf(row, end)),
            concat(new byte[] {']'}, Arrays.copyOfRange(row, end, row.length))),
            "malformed_json", "object wrapped in an array");
        case LINES -> new Changed(insert(row, end, "@extra".getBytes(layout.charset())),
            "unknown_label", "a separator and field appended");
        case CSV -> new Changed(insert(row, end, ",extra".getBytes(layout.charset())),
            "malformed_csv", "a field appended");
      };
      case HUGE_VALUE -> {
        int at = asciiPosition(row, 1, end, true);
        byte[] huge = new byte[HUGE];
        Arrays.fill(huge, (byte) 'x');
        yield at < 0 ? null : new Changed(insert(row, at, huge), "too_long",
            HUGE + " bytes inserted at " + at);
      }
    };
  }

  /** A non-blank garbage row: letters and spaces, and with {@code binary} a bad byte. */
  private byte[] garbage(boolean binary) {
    while (true) {
      byte[] g = new byte[20 + rnd.nextInt(40)];
      for (int i = 0; i < g.length; i++) {
        g[i] = (byte) (i > 0 && rnd.nextInt(6) == 0 ? ' ' : 'a' + rnd.nextInt(26));
      }
      if (binary) {
        g[1 + rnd.nextInt(g.length - 1)] = (byte) layout.badByte();
      }
      if (binary || layout.format() != Format.JSONL || !isJson(g)) {
        return g;
      }
    }
  }

  /**
   * A random position p in [from, to] whose bytes p - 1 and p are ASCII (letters when {@code
   * letters}), so nothing inserted or cut there splits a character or touches a separator; -1
   * when there is none.
   */
  private int asciiPosition(byte[] row, int from, int to, boolean letters) {
    List<Integer> ok = new ArrayList<>();
    for (int p = Math.max(1, from); p <= to && p < row.length; p++) {
      if (letters ? isLetter(row[p - 1]) && isLetter(row[p]) : row[p - 1] >= 0 && row[p] >= 0) {
        ok.add(p);
      }
    }
    return ok.isEmpty() ? -1 : ok.get(rnd.nextInt(ok.size()));
  }

  private static boolean isLetter(byte b) {
    return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z';
  }

  /**
   * The last quote of a CSV record (up to {@code end}) that closes a quoted field, read as
   * RFC 4180 does; -1 when no field is quoted.
   */
  private static int lastClosingQuote(byte[] row, int end) {
    int last = -1;
    boolean quoted = false;
    boolean fieldStart = true;
    for (int i = 0; i < end; i++) {
      byte b = row[i];
      if (quoted) {
        if (b == '"') {
          if (i + 1 < end && row[i + 1] == '"') {
            i++; // a doubled quote
          } else {
            quoted = false;
            last = i;
          }
        }
      } else if (fieldStart && b == '"') {
        quoted = true;
        fieldStart = false;
      } else {
        fieldStart = b == ',';
      }
    }
    return last;
  }

  /** Where a row's content ends: before its line break and any blank lines after it. */
  private static int contentEnd(byte[] row) {
    int end = row.length;
    while (end > 0 && (row[end - 1] == '\n' || row[end - 1] == '\r')) {
      end--;
    }
    return end;
  }

  private static byte[] eolOf(byte[] file) {
    int lf = indexOf(file, '\n', file.length);
    return lf > 0 && file[lf - 1] == '\r' ? new byte[] {'\r', '\n'} : new byte[] {'\n'};
  }

  private static int indexOf(byte[] row, char c, int end) {
    for (int i = 0; i < end; i++) {
      if (row[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static int indexOf(byte[] row, String s, int end) {
    byte[] pattern = s.getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + pattern.length <= end; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (row[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static byte[] insert(byte[] row, int at, byte[] what) {
    return concat(concat(Arrays.copyOf(row, at), what), Arrays.copyOfRange(row, at, row.length));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static boolean isJsonObject(byte[] line) {
    try {
      return JSON.readTree(line).isObject();
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isJson(byte[] line) {
    try {
      JsonNode n = JSON.readTree(line);
      return n != null && !n.isMissingNode();
    } catch (IOException e) {
      return false;
    }
  }
}
