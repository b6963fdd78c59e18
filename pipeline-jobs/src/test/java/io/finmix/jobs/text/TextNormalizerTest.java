package io.finmix.jobs.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextNormalizerTest {

  private final TextNormalizer all = new TextNormalizer(true, true, true, true, true);

  @Test
  void foldsWidthCasePunctuationSymbolsUrlsAndSpace() {
    assertThat(all.normalize("  ＡＣＭＥ's  Profit\u00a0rose 5 % — see https://t.co/abc?x=1 !"))
        .isEqualTo("acme s profit rose 5 see");
    assertThat(all.normalize("COMPTEL CORPORATION Sami Ervio President and CEO Distribution :"))
        .isEqualTo(all.normalize("Comptel Corporation Sami Ervio President and CEO , "
            + "Distribution :"));
    assertThat(all.normalize("$BYND up \u20ac5")).isEqualTo("bynd up 5");
    assertThat(all.words("  a  b ")).containsExactly("a", "b");
    assertThat(all.words(" ... ")).isEmpty();
  }

  @Test
  void eachStepCanBeTurnedOff() {
    assertThat(new TextNormalizer(false, false, false, false, false).normalize("A  b.\nwww.x.com"))
        .isEqualTo("A  b.\nwww.x.com");
    assertThat(new TextNormalizer(true, true, true, false, true).normalize("A, b! www.x.com"))
        .isEqualTo("a, b!");
    assertThat(new TextNormalizer(false, true, true, true, false).normalize("A,\tb"))
        .isEqualTo("a \tb");
  }
}
