package io.finmix.jobs.ingest;

import static io.finmix.jobs.ingest.IngestFixtures.rows;
import static io.finmix.jobs.ingest.IngestFixtures.spec;
import static io.finmix.jobs.ingest.IngestFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvRowReaderTest {

  @TempDir
  Path dir;

  private SourceSpec csv(String file, String extra) {
    return spec(dir, "adapter = generic, format = csv, files = [\"" + file + "\"], "
        + "fields { input = text, label = label }, split = train, task = t, domain = finance"
        + (extra.isEmpty() ? "" : ", " + extra));
  }

  @Test
  void quotedFieldsSpanLinesAndOffsetsAreExactBytes() {
    String[] records = {
        "text,label\r\n",
        "\"a, b\",1\r\n",
        "plain,2\r\n",
        "\"multi\nline \"\"quoted\"\"\",0\r\n",
        "\r\n",
        "caf\u00e9 \u20ac,1\n",
        "last,2"};
    write(dir, "t.csv", String.join("", records));
    List<NativeRow> rows = rows(csv("t.csv", ""));

    assertThat(rows).extracting(r -> r.node.get("text").asText()).containsExactly(
        "a, b", "plain", "multi\nline \"quoted\"", "caf\u00e9 \u20ac", "last");
    assertThat(rows).extracting(r -> r.node.get("label").asText())
        .containsExactly("1", "2", "0", "1", "2");
    long[] offsets = new long[records.length];
    for (int i = 1; i < records.length; i++) {
      offsets[i] = offsets[i - 1] + records[i - 1].getBytes(StandardCharsets.UTF_8).length;
    }
    assertThat(rows).extracting(r -> r.offset)
        .containsExactly(offsets[1], offsets[2], offsets[3], offsets[5], offsets[6]);
  }

  @Test
  void malformedRecordsAreReportedAndReadingGoesOn() {
    write(dir, "t.csv", "text,label\n\"bad\"x,1\ntoo,many,fields\nok,1\n\"open quote,2\n");
    List<NativeRow> rows = rows(csv("t.csv", ""));

    assertThat(rows).hasSize(4);
    assertThat(rows.get(0).error).isEqualTo(QuarantineReason.MALFORMED_CSV);
    assertThat(rows.get(0).detail).contains("after the closing quote");
    assertThat(rows.get(1).error).isEqualTo(QuarantineReason.MALFORMED_CSV);
    assertThat(rows.get(1).detail).contains("expected 2 fields", "found 3");
    assertThat(rows.get(1).raw(100)).isEqualTo("too,many,fields");
    assertThat(rows.get(2).node.get("text").asText()).isEqualTo("ok");
    assertThat(rows.get(3).error).isEqualTo(QuarantineReason.MALFORMED_CSV);
    assertThat(rows.get(3).detail).contains("unterminated");
  }

  @Test
  void decodesTheDeclaredCharsetStrictly() throws Exception {
    ByteArrayOutputStream cp1252 = new ByteArrayOutputStream();
    cp1252.write("positive,Sepp".getBytes(StandardCharsets.US_ASCII));
    cp1252.write(new byte[] {(byte) 0xC6, 'l', (byte) 0xE4});
    cp1252.write(" \u0080 grew\r\n".getBytes(StandardCharsets.ISO_8859_1));
    write(dir, "fpb.csv", cp1252.toByteArray());
    List<NativeRow> fpb = rows(spec(dir, "adapter = fpb_csv, files = [fpb.csv], split = train"));
    assertThat(fpb.get(0).node.get("sentence").asText()).isEqualTo("Sepp\u00c6l\u00e4 \u20ac grew");

    ByteArrayOutputStream utf8 = new ByteArrayOutputStream();
    utf8.write("text,label\nfine,1\nbroken ".getBytes(StandardCharsets.US_ASCII));
    utf8.write(new byte[] {(byte) 0xC3, (byte) 0x28});
    utf8.write(",2\nafter,0\n".getBytes(StandardCharsets.US_ASCII));
    write(dir, "u.csv", utf8.toByteArray());
    List<NativeRow> rows = rows(csv("u.csv", ""));
    assertThat(rows).hasSize(3);
    assertThat(rows.get(1).error).isEqualTo(QuarantineReason.BAD_ENCODING);
    assertThat(rows.get(1).detail).contains("UTF-8", "field 1");
    assertThat(rows.get(2).node.get("text").asText()).isEqualTo("after");
  }

  @Test
  void headerlessFilesUseTheConfiguredColumnsAndABomIsSkipped() {
    write(dir, "h.csv", "\ufeffx,1\ny,2\n");
    List<NativeRow> rows = rows(csv("h.csv", "csv { header = false, columns = [text, label] }"));
    assertThat(rows).extracting(r -> r.node.get("text").asText()).containsExactly("x", "y");
    assertThat(rows.get(0).offset).isEqualTo(3); // the first record starts after the BOM
  }

  @Test
  void aFirstCharacterStartingWithByteEfIsNotMistakenForABom() {
    write(dir, "f.csv", "text,label\n\uff21\uffe5 yen,1\n");
    List<NativeRow> rows = rows(csv("f.csv", "csv { header = false, columns = [text, label] }"));
    assertThat(rows).extracting(r -> r.node.get("text").asText())
        .containsExactly("text", "\uff21\uffe5 yen");
  }

  @Test
  void anUnreadableHeaderQuarantinesTheRowsItWouldHaveNamed() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(new byte[] {'t', (byte) 0xFF, ',', 'l', '\n'});
    b.write("x,1\ny,2\n".getBytes(StandardCharsets.US_ASCII));
    write(dir, "bh.csv", b.toByteArray());
    List<NativeRow> rows = rows(csv("bh.csv", ""));
    assertThat(rows).extracting(r -> r.error).containsExactly(QuarantineReason.BAD_ENCODING,
        QuarantineReason.MALFORMED_CSV, QuarantineReason.MALFORMED_CSV);
    assertThat(rows.get(1).detail).contains("header row");
  }

  @Test
  void aLineHoldingAnEmptyQuotedFieldIsARow() {
    write(dir, "q.csv", "\"\"\n\nx\n");
    List<NativeRow> rows = rows(csv("q.csv", "csv { header = false, columns = [text] }, "
        + "fields { input = text }, allow_empty_input = true"));
    assertThat(rows).extracting(r -> r.node.get("text").asText()).containsExactly("", "x");
  }

  @Test
  void aRecordOverTheSizeLimitIsTooLong() {
    write(dir, "l.csv", "text,label\n" + "w".repeat(5000) + ",1\nshort,2\n");
    List<NativeRow> rows = rows(csv("l.csv", "max_chars = 100"));
    assertThat(rows.get(0).error).isEqualTo(QuarantineReason.TOO_LONG);
    assertThat(rows.get(1).node.get("text").asText()).isEqualTo("short");
  }
}
