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

class JsonDocumentReaderTest {

  @TempDir
  Path dir;

  private SourceSpec json(String file, String layout) {
    return spec(dir, "adapter = generic, format = json, json " + layout + ", files = [\"" + file
        + "\"], fields { input = q, output = a }, split = train, task = t, domain = math");
  }

  @Test
  void arrayElementsStreamWithTheirByteOffsets() {
    String doc = "[\n  {\"q\": \"\u00e9one\", \"a\": \"1\"},\n  {\"q\": \"two\", \"a\": \"2\"}\n]\n";
    write(dir, "a.json", doc);
    List<NativeRow> rows = rows(json("a.json", "{ records = array }"));
    assertThat(rows).extracting(r -> r.node.get("q").asText()).containsExactly("\u00e9one", "two");
    byte[] bytes = doc.getBytes(StandardCharsets.UTF_8);
    assertThat(bytes[(int) rows.get(0).offset]).isEqualTo((byte) '{');
    assertThat(new String(bytes, (int) rows.get(1).offset, 10, StandardCharsets.UTF_8))
        .startsWith("{\"q\": \"two");
  }

  @Test
  void objectValuesKeepTheirKeysAndAPathDescends() {
    write(dir, "v.json", "{\"meta\": {\"v\": 1}, \"data\": {\"7\": {\"q\": \"x\"}, \"9\": {\"q\": \"y\"}}}");
    List<NativeRow> rows = rows(json("v.json", "{ records = values, path = data }"));
    assertThat(rows).extracting(r -> r.key).containsExactly("7", "9");
    assertThat(rows).extracting(r -> r.node.get("q").asText()).containsExactly("x", "y");
  }

  @Test
  void aRepeatedRecordKeyDoesNotStopTheDocument() {
    write(dir, "d.json", "{\"1\": {\"q\": \"a\"}, \"1\": {\"q\": \"b\"}, \"2\": {\"q\": \"c\"}}");
    List<NativeRow> rows = rows(json("d.json", "{ records = values }"));
    assertThat(rows).extracting(r -> r.key + "=" + r.node.get("q").asText())
        .containsExactly("1=a", "1=b", "2=c");
  }

  @Test
  void aSyntaxErrorEndsTheDocumentWithOneQuarantineRow() {
    write(dir, "s.json", "[{\"q\": \"a\"}, \"scalar\", {\"q\": \"b\"}, {\"q\": oops}, {\"q\": \"c\"}]");
    List<NativeRow> rows = rows(json("s.json", "{ records = array }"));
    assertThat(rows).extracting(r -> r.error).containsExactly(null,
        QuarantineReason.MALFORMED_JSON, null, QuarantineReason.MALFORMED_JSON);
    assertThat(rows.get(1).detail).contains("not a JSON object");
    assertThat(rows.get(3).detail).contains("rest of the document is not read");
    assertThat(rows.get(3).offset).isGreaterThan(rows.get(2).offset);
  }

  @Test
  void invalidUtf8IsABadEncoding() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write("[{\"q\": \"fine\"}, {\"q\": \"bro".getBytes(StandardCharsets.UTF_8));
    b.write(new byte[] {(byte) 0xC3, (byte) 0x28});
    b.write("ken\"}]".getBytes(StandardCharsets.UTF_8));
    write(dir, "e.json", b.toByteArray());
    List<NativeRow> rows = rows(json("e.json", "{ records = array }"));
    assertThat(rows).extracting(r -> r.error).containsExactly(null, QuarantineReason.BAD_ENCODING);
  }

  @Test
  void theWrongTopLevelShapeIsOneMalformedRow() {
    write(dir, "w.json", "{\"q\": \"not an array\"}");
    List<NativeRow> rows = rows(json("w.json", "{ records = array }"));
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).error).isEqualTo(QuarantineReason.MALFORMED_JSON);
    assertThat(rows.get(0).detail).contains("an array of records");
  }
}
