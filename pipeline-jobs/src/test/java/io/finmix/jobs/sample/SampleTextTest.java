package io.finmix.jobs.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The generated sentiment is learnable but not a lookup: the words that say "up" or "down" and
 * the word "not" each appear under both labels, and only what they say about the figure decides.
 */
class SampleTextTest {

  /** Label counts of the sentences containing {@code word}. */
  static Map<String, Integer> labelsWith(List<String[]> rows, String word) {
    Map<String, Integer> out = new HashMap<>();
    for (String[] r : rows) {
      if ((" " + r[1] + " ").contains(" " + word + " ")) {
        out.merge(r[0], 1, Integer::sum);
      }
    }
    return out;
  }

  static List<String[]> sentences(boolean tweets) {
    SampleText t = new SampleText(7);
    List<String[]> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 6000; i++) {
      String label = SampleText.SENTIMENTS.get(i % 3);
      rows.add(new String[] {label, tweets ? t.tweet(label) : t.newsSentence(label, "Acme")});
    }
    return rows;
  }

  @Test
  void directionWordsAndNegationAppearUnderBothLabels() {
    List<String[]> news = sentences(false);
    for (String word : List.of("rose", "fell", "increased", "declined", "not")) {
      Map<String, Integer> labels = labelsWith(news, word);
      int pos = labels.getOrDefault("positive", 0);
      int neg = labels.getOrDefault("negative", 0);
      assertThat(Math.min(pos, neg)).as("'%s': %s", word, labels)
          .isGreaterThan((pos + neg) / 4);
    }
    List<String[]> tweets = sentences(true);
    for (String word : List.of("jump", "not")) {
      Map<String, Integer> labels = labelsWith(tweets, word);
      assertThat(Math.min(labels.getOrDefault("positive", 0), labels.getOrDefault("negative", 0)))
          .as("'%s' in tweets: %s", word, labels).isGreaterThan(50);
    }
  }

  @Test
  void aDirectionWordLookupIsFarFromTheLabels() {
    // predict positive for an up-word, negative for a down-word: what a word list would do
    List<String> up = List.of("rose", "increased", "grew", "climbed", "jumped", "improved");
    List<String> down = List.of("fell", "decreased", "dropped", "declined", "slumped",
        "weakened");
    int right = 0;
    int total = 0;
    for (String[] r : sentences(false)) {
      if (r[0].equals("neutral")) {
        continue;
      }
      boolean hasUp = up.stream().anyMatch(w -> r[1].contains(" " + w + " "));
      boolean hasDown = down.stream().anyMatch(w -> r[1].contains(" " + w + " "));
      if (hasUp == hasDown) {
        continue;
      }
      total++;
      right += (hasUp ? "positive" : "negative").equals(r[0]) ? 1 : 0;
    }
    assertThat(total).isGreaterThan(1000);
    assertThat((double) right / total).as("%d of %d", right, total).isBetween(0.35, 0.65);
  }
}
