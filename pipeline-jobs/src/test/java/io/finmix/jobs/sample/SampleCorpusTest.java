package io.finmix.jobs.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleCorpusTest {

  @TempDir
  Path dir;

  private Map<String, String> digests(Path root) throws Exception {
    Map<String, String> out = new TreeMap<>();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        out.put(root.relativize(f).toString(), HexFormat.of().formatHex(
            sha.digest(Files.readAllBytes(f))));
      }
    }
    return out;
  }

  @Test
  void theSameSeedWritesTheSameBytes() throws Exception {
    SampleCorpus.write(dir.resolve("a").toString(), 5, 1.0, new Configuration());
    SampleCorpus.write(dir.resolve("b").toString(), 5, 1.0, new Configuration());
    SampleCorpus.write(dir.resolve("c").toString(), 6, 1.0, new Configuration());
    Map<String, String> a = digests(dir.resolve("a"));
    assertThat(a).isEqualTo(digests(dir.resolve("b")));
    assertThat(a.keySet()).isEqualTo(digests(dir.resolve("c")).keySet());
    assertThat(a).isNotEqualTo(digests(dir.resolve("c")));
    assertThat(a.keySet()).contains("fpb/all-data.csv", "tfns/sent_train.csv",
        "fiqa_sa/task1_headline_ABSA_train.json", "gsm8k/train.jsonl", "svamp/SVAMP.json",
        "alpaca/alpaca_data.json", "alpaca/seed_tasks.jsonl", "pixiu_fiqasa/test.jsonl",
        "nwgi/nwgi.parquet").noneMatch(f -> f.endsWith(".crc"));
  }

  @Test
  void everySourcePlantsBadRowsAndScaleGrowsTheGoodOnes() throws IOException {
    Map<String, SampleCorpus.Planted> small = SampleCorpus.write(dir.resolve("s").toString(), 5,
        1.0, new Configuration());
    Map<String, SampleCorpus.Planted> big = SampleCorpus.write(dir.resolve("l").toString(), 5,
        3.0, new Configuration());
    long sources = small.values().stream().filter(p -> !p.bad.isEmpty()).count();
    assertThat(sources).isGreaterThanOrEqualTo(10);
    assertThat(small.get("fpb").bad).containsOnlyKeys("unknown_label", "empty_text",
        "malformed_csv");
    assertThat(big.get("gsm8k").records()).isGreaterThan(2 * small.get("gsm8k").records());
    assertThat(big.get("gsm8k").bad).isEqualTo(small.get("gsm8k").bad);
    // cp1252, CRLF, and no header: as the Kaggle file
    byte[] fpb = Files.readAllBytes(dir.resolve("s/fpb/all-data.csv"));
    String head = new String(fpb, 0, 40, "windows-1252");
    assertThat(head).doesNotStartWith("label").matches("(?s)(negative|neutral|positive),.*");
    assertThat(new String(fpb, "windows-1252")).contains("\r\n", "Sepp\u00e4l\u00e4");
  }
}
