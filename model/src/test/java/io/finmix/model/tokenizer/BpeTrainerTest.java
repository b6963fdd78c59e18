package io.finmix.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {

  @TempDir
  Path dir;

  private static Map<String, Long> counts(String... texts) {
    Map<String, Long> out = new HashMap<>();
    for (String t : texts) {
      for (String p : BpeTrainer.pieces(t)) {
        out.merge(p, 1L, Long::sum);
      }
    }
    return out;
  }

  @Test
  void piecesFollowGpt2sPreTokenization() {
    assertThat(BpeTrainer.pieces("Net sales rose 5.2% in Q3, it's up!  Ok"))
        .containsExactly("Net", " sales", " rose", " 5", ".", "2", "%", " in", " Q", "3", ",",
            " it", "'s", " up", "!", " ", " Ok");
  }

  @Test
  void theMostFrequentPairsMergeFirstAndTheVocabularyStopsAtItsSize() {
    Map<String, Long> words = new HashMap<>();
    words.put(" the", 50L);
    words.put(" then", 10L);
    words.put("xy", 1L);
    List<String[]> merges = BpeTrainer.train(words, 256 + 3 + 1, 2, 1);
    String g = ByteLevelBpeFile.symbols(" ");
    // " t", "th" and "he" each occur 60 times: ties go to the merged token that sorts first
    // ("he"; the space symbol sorts after letters), then "the", then " the"
    assertThat(merges.stream().map(m -> m[0] + m[1]).toList())
        .containsExactly("he", "the", g + "the");
    assertThat(merges.stream().map(m -> m[0] + m[1]).toList()).doesNotContain("xy");
  }

  @Test
  void aTrainedTokenizerRoundTripsAndShortensText() throws Exception {
    String[] texts = {"The company's net sales rose 5.2% to EUR 131.5 mn in the first quarter.",
        "Operating profit fell to EUR 3.2 mn from EUR 4.1 mn a year earlier.",
        "What is the sentiment of this financial text? Answer: positive", "你好，世界 👍🏽"};
    Map<String, Long> words = counts(texts);
    for (int i = 0; i < 5; i++) {
      counts(texts).forEach((k, v) -> words.merge(k, v, Long::sum));
    }
    List<String[]> merges = BpeTrainer.train(words, 400, 2, 1);
    Path file = dir.resolve("tokenizer.json");
    ByteLevelBpeFile.write(file, merges, List.of("<|endoftext|>"));
    HfTokenizer t = new HfTokenizer(file, "<|endoftext|>");
    for (String s : texts) {
      assertThat(t.decode(t.encode(s))).isEqualTo(s);
    }
    assertThat(t.encode(texts[0]).length).isLessThan(texts[0].length() / 2);
    // deterministic: the same counts give the same merges
    assertThat(BpeTrainer.train(words, 400, 2, 1)).usingRecursiveComparison().isEqualTo(merges);
    t.close();
  }
}
