package io.finmix.jobs.ingest;

import static io.finmix.jobs.ingest.IngestFixtures.rows;
import static io.finmix.jobs.ingest.IngestFixtures.spec;
import static io.finmix.jobs.ingest.IngestFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineRowReaderTest {

  @TempDir
  Path dir;

  private SourceSpec jsonl(String file) {
    return spec(dir, "adapter = generic, format = jsonl, files = [\"" + file + "\"], "
        + "fields { input = q, output = a }, split = train, task = t, domain = math");
  }

  @Test
  void everyLineIsReadExactlyOnceWhateverTheSliceSize() {
    Random random = new Random(42);
    StringBuilder text = new StringBuilder();
    List<Long> offsets = new ArrayList<>();
    List<String> questions = new ArrayList<>();
    long at = 0;
    for (int i = 0; i < 120; i++) {
      String q = "q" + i + " " + "\u00e9\u20ac\ud83d\ude00x".repeat(random.nextInt(6));
      String line = "{\"q\": \"" + q + "\", \"a\": \"" + i + "\"}" + (i % 3 == 0 ? "\r\n" : "\n");
      offsets.add(at);
      questions.add(q);
      text.append(line);
      at += line.getBytes(StandardCharsets.UTF_8).length;
      if (i % 40 == 7) {
        text.append("\n   \n"); // blank lines are not rows
        at += 5;
      }
    }
    write(dir, "big.jsonl", text.toString());
    SourceSpec spec = jsonl("big.jsonl");
    for (long slice : new long[] {11, 64, 333, 4096, 1 << 20}) { // cuts land everywhere
      List<NativeRow> rows = rows(spec, slice);
      assertThat(rows).as("slice %d", slice).extracting(r -> r.offset)
          .containsExactlyElementsOf(offsets);
      assertThat(rows).as("slice %d", slice).extracting(r -> r.node.get("q").asText())
          .containsExactlyElementsOf(questions);
    }
  }

  @Test
  void compressedFilesAreReadWholeAndTransparently() throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
      out.write("{\"q\": \"one\", \"a\": \"1\"}\n{\"q\": \"two\", \"a\": \"2\"}\n"
          .getBytes(StandardCharsets.UTF_8));
    }
    write(dir, "c.jsonl.gz", gz.toByteArray());
    List<NativeRow> rows = rows(jsonl("c.jsonl.gz"), 8); // never sliced, whatever split_bytes says
    assertThat(rows).extracting(r -> r.node.get("q").asText()).containsExactly("one", "two");
    assertThat(rows).extracting(r -> r.offset).containsExactly(0L, 23L); // uncompressed bytes
  }

  @Test
  void badLinesAreReportedAndTheirNeighboursRead() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write("{\"q\": \"one\", \"a\": \"1\"}\n".getBytes(StandardCharsets.UTF_8));
    bytes.write("{\"q\": \"trunc".getBytes(StandardCharsets.UTF_8));
    bytes.write('\n');
    bytes.write("{\"q\": \"bad ".getBytes(StandardCharsets.UTF_8));
    bytes.write(new byte[] {(byte) 0xFF, (byte) 0xFE});
    bytes.write("\", \"a\": \"2\"}\n".getBytes(StandardCharsets.UTF_8));
    bytes.write("[1, 2]\n".getBytes(StandardCharsets.UTF_8));
    bytes.write("{\"q\": \"dup\", \"q\": \"x\"}\n".getBytes(StandardCharsets.UTF_8));
    bytes.write("{\"q\": \"last\", \"a\": \"3\"}".getBytes(StandardCharsets.UTF_8));
    write(dir, "bad.jsonl", bytes.toByteArray());
    List<NativeRow> rows = rows(jsonl("bad.jsonl"));

    assertThat(rows).extracting(r -> r.error).containsExactly(null,
        QuarantineReason.MALFORMED_JSON, QuarantineReason.BAD_ENCODING,
        QuarantineReason.MALFORMED_JSON, QuarantineReason.MALFORMED_JSON, null);
    assertThat(rows.get(1).detail).contains("line 1");
    assertThat(rows.get(3).detail).contains("expected a JSON object");
    assertThat(rows.get(4).detail).containsIgnoringCase("duplicate");
    assertThat(rows.get(5).node.get("q").asText()).isEqualTo("last");
  }

  @Test
  void textLinesSplitAtTheLastSeparator() {
    write(dir, "Sentences_75Agree.txt", "Profit rose @ 5 % .@positive\r\nno label here\r\n");
    SourceSpec spec = spec(dir, "adapter = fpb_txt, files = [\"Sentences_*Agree.txt\"], "
        + "split = train");
    List<NativeRow> rows = rows(spec);
    assertThat(rows.get(0).node.get("sentence").asText()).isEqualTo("Profit rose @ 5 % .");
    assertThat(rows.get(0).node.get("label").asText()).isEqualTo("positive");
    assertThat(rows.get(1).error).isEqualTo(QuarantineReason.MALFORMED_LINE);
    assertThat(rows.get(1).raw(100)).isEqualTo("no label here");
  }

  @Test
  void aLineOverTheLimitIsTooLongAndSkippedWithoutBuffering() {
    write(dir, "long.jsonl", "{\"q\": \"" + "x".repeat(20_000) + "\", \"a\": \"1\"}\n"
        + "{\"q\": \"short\", \"a\": \"2\"}\n");
    SourceSpec spec = spec(dir, "adapter = generic, format = jsonl, files = [long.jsonl], "
        + "fields { input = q, output = a }, split = train, task = t, domain = math, "
        + "max_chars = 1000");
    List<NativeRow> rows = rows(spec);
    assertThat(rows.get(0).error).isEqualTo(QuarantineReason.TOO_LONG);
    assertThat(rows.get(1).node.get("q").asText()).isEqualTo("short");
  }
}
