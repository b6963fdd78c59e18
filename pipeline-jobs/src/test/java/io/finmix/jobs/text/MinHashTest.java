package io.finmix.jobs.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MinHashTest {

  private static long[] set(Random r, int size, int from) {
    long[] out = new long[size];
    for (int i = 0; i < size; i++) {
      out[i] = Shingles.mix(from + i);
    }
    java.util.Arrays.sort(out);
    return out;
  }

  @Test
  void shinglesAreWordNGramsAndJaccardIsExact() {
    String[] words = "net sales rose by five percent".split(" ");
    long[] three = Shingles.of(words, 3);
    assertThat(three).hasSize(4).isSorted();
    assertThat(Shingles.of("net sales".split(" "), 3)).hasSize(1);
    assertThat(Shingles.of(new String[0], 3)).isEmpty();
    assertThat(Shingles.of("a b a b a b".split(" "), 2)).hasSize(2);
    long[] other = Shingles.of("net sales rose by six percent".split(" "), 3);
    assertThat(Shingles.jaccard(three, other)).isCloseTo(2 / 6.0, within(1e-12));
    assertThat(Shingles.jaccard(three, three)).isEqualTo(1.0);
    assertThat(Shingles.hash64("x")).isEqualTo(Shingles.hash64("x")).isNotEqualTo(Shingles.hash64("y"));
  }

  @Test
  void shinglesOfATextAreThoseOfItsSplitWords() {
    Random r = new Random(3);
    String alphabet = "ab é\u4e2d  ";
    List<String> texts = new ArrayList<>(List.of("", " ", "   ", "a", " a", "a ", "a  b", "a b ",
        " a b c d "));
    for (int i = 0; i < 500; i++) {
      StringBuilder t = new StringBuilder();
      for (int j = r.nextInt(40); j > 0; j--) {
        t.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      texts.add(t.toString());
    }
    for (String t : texts) {
      for (int n : new int[] {1, 3, 13}) {
        assertThat(Shingles.ofText(t, n)).as("'%s', n = %d", t, n)
            .containsExactly(Shingles.of(TextNormalizer.splitWords(t), n));
      }
    }
  }

  @Test
  void signaturesAgreeInProportionToJaccard() {
    MinHasher h = new MinHasher(256, 7, 32, 8);
    Random r = new Random(1);
    for (double target : new double[] {0.2, 0.5, 0.8, 0.95}) {
      // two sets of 200 sharing k elements: J = k / (400 - k)
      int k = (int) Math.round(400 * target / (1 + target));
      long[] a = set(r, 200, 0);
      long[] b = set(r, 200, 200 - k);
      double jaccard = Shingles.jaccard(a, b);
      int[] sa = h.signature(a);
      int[] sb = h.signature(b);
      int agree = 0;
      for (int i = 0; i < sa.length; i++) {
        agree += sa[i] == sb[i] ? 1 : 0;
      }
      assertThat(agree / 256.0).as("J = %.2f", jaccard).isCloseTo(jaccard, within(0.09));
    }
  }

  @Test
  void bandsAndRowsCatchPairsAtTheThresholdWithTheTargetRecall() {
    int[] br = MinHasher.bandsAndRows(128, 0.8);
    assertThat(br[0] * br[1]).isLessThanOrEqualTo(128);
    assertThat(MinHasher.collision(0.8, br[0], br[1])).isGreaterThanOrEqualTo(0.95);
    // one more row per band would miss too many pairs at the threshold
    assertThat(MinHasher.collision(0.8, 128 / (br[1] + 1), br[1] + 1)).isLessThan(0.95);
    assertThat(MinHasher.collision(0.5, br[0], br[1])).isLessThan(0.3);
    assertThat(MinHasher.collision(0.95, br[0], br[1])).isGreaterThan(0.999);
  }

  @Test
  void identicalSetsShareEveryBandAndDisjointOnesNone() {
    MinHasher h = new MinHasher(128, 3, 18, 7);
    long[] a = Shingles.of("the company 's net sales rose in the first quarter".split(" "), 3);
    long[] b = Shingles.of("an unrelated sentence about weather in spring time".split(" "), 3);
    assertThat(h.bandKeys(h.signature(a))).containsExactly(h.bandKeys(h.signature(a.clone())));
    long[] ka = h.bandKeys(h.signature(a));
    long[] kb = h.bandKeys(h.signature(b));
    for (int i = 0; i < ka.length; i++) {
      assertThat(ka[i]).isNotEqualTo(kb[i]);
    }
  }
}
