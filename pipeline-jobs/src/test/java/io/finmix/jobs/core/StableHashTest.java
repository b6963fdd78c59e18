package io.finmix.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.text.Normalizer;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StableHashTest {

  /** The definition: NFKC, lower case, regex whitespace runs folded to a space, trimmed. */
  private static String reference(String text) {
    return Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT)
        .replaceAll("\\s+", " ").trim();
  }

  @Test
  void normalizeFoldsCaseAndWhitespaceRuns() {
    assertThat(StableHash.normalize("  Shares\tROSE \r\n 5%\u000b\fToday ")).isEqualTo(
        "shares rose 5% today");
    assertThat(StableHash.normalize("\u0001x\u0001")).isEqualTo("x");
    assertThat(StableHash.normalize("ＡＢＣ\u00a0Ｄ")).isEqualTo("abc d");
    assertThat(StableHash.normalize("")).isEmpty();
  }

  @Test
  void theAsciiPassGivesTheDefinitionsTextOnRandomStrings() {
    Random random = new Random(7);
    String alphabet = "aZ9 \t\n\u000b\f\r\u0001\u001f\u007f.-Q";
    for (int n = 0; n < 20_000; n++) {
      StringBuilder b = new StringBuilder();
      int length = random.nextInt(12);
      for (int i = 0; i < length; i++) {
        b.append(random.nextInt(4) == 0 ? (char) random.nextInt(128)
            : alphabet.charAt(random.nextInt(alphabet.length())));
      }
      assertThat(StableHash.normalize(b.toString())).as("%s", b).isEqualTo(reference(b.toString()));
    }
  }

  @Test
  void hex128IsStableAndSeparatesParts() {
    assertThat(StableHash.hex128("a", "b")).hasSize(32).isEqualTo(StableHash.hex128("a", "b"))
        .isNotEqualTo(StableHash.hex128("ab"));
  }
}
