package io.finmix.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizersTest {

  private static final List<String> TEXTS = List.of("Hello world",
      "The company's net sales rose 5.2% to EUR 131.5 mn.", "你好，世界", "emoji 👍🏽 and ZWJ 👨‍👩‍👧",
      "  leading spaces and\ttabs\n", "", "$AAPL <|endoftext|> inside");

  @TempDir
  Path dir;

  @Test
  void bytesAreExactAndNeedNoFile() {
    TextTokenizer t = Tokenizers.load("bytes");
    for (String s : TEXTS) {
      assertThat(t.decode(t.encode(s))).isEqualTo(s);
    }
    assertThat(t.encode("é")).containsExactly(0xc3, 0xa9);
    assertThat(t.eosId()).isEqualTo(256);
  }

  @Test
  void aWrittenByteLevelBpeFileLoadsMergesAndRoundTrips() throws Exception {
    Path file = dir.resolve("tokenizer.json");
    String g = ByteLevelBpeFile.symbols(" ");
    ByteLevelBpeFile.write(file, List.of(new String[] {g, "t"}, new String[] {"h", "e"},
        new String[] {g + "t", "he"}), List.of("<|endoftext|>"));
    HfTokenizer t = new HfTokenizer(file, "<|endoftext|>");
    // " the" is one token, the third merge's (256 + 2); the rest are bytes
    assertThat(t.encode(" the")).containsExactly(258);
    assertThat(t.encode("a the")).containsExactly('a', 258);
    assertThat(t.eosId()).isEqualTo(259);
    assertThat(t.vocabSize()).isEqualTo(260);
    assertThat(t.encode("x<|endoftext|>")).containsExactly('x', 259);
    for (String s : TEXTS) {
      assertThat(t.decode(t.encode(s))).isEqualTo(s);
    }
    Random random = new Random(5);
    int[][] ranges = {{0x20, 0x7e}, {0x00, 0x1f}, {0xa0, 0x2ff}, {0x4e00, 0x9fff},
        {0x1f300, 0x1faff}};
    for (int i = 0; i < 500; i++) {
      StringBuilder s = new StringBuilder();
      for (int j = random.nextInt(20); j > 0; j--) {
        int[] r = ranges[random.nextInt(ranges.length)];
        s.appendCodePoint(r[0] + random.nextInt(r[1] - r[0] + 1));
      }
      assertThat(t.decode(t.encode(s.toString()))).isEqualTo(s.toString());
    }
    t.close();
  }

  @Test
  void aMissingFileOrUnknownEosIsNamed() throws Exception {
    assertThatThrownBy(() -> Tokenizers.load(dir.resolve("nope.json").toString()))
        .hasMessageContaining("nope.json").hasMessageContaining("does not exist");
    Path file = dir.resolve("tokenizer.json");
    ByteLevelBpeFile.write(file, List.of(), List.of("<eos>"));
    assertThatThrownBy(() -> new HfTokenizer(file, null))
        .hasMessageContaining("tokenizer_config.json");
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<eos>\"}");
    assertThat(new HfTokenizer(file, null).eosId()).isEqualTo(256);
  }
}
