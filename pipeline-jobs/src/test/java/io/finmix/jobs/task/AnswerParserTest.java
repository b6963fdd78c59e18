package io.finmix.jobs.task;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.task.AnswerParser.ParsedNumber;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnswerParserTest {

  private static final List<String> SENTIMENT = List.of("Positive", "Negative", "Neutral");

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "Positive|Positive",
      "`\n\n  negative`|Negative",
      "\"Neutral\"|Neutral",
      "**Positive**|Positive",
      "Neutral.|Neutral",
      "Answer: negative|Negative",
      "The sentiment of this headline is NEGATIVE, because revenue fell.|Negative",
      "`'positive'\n\nExplanation: the stock rose, not negative.`|Positive",
      "`Sentiment:\n- neutral`|Neutral",
      "`positive!`|Positive",
  })
  void firstLabelFindsTheLabelInMessyGenerations(String text, String expected) {
    assertThat(AnswerParser.firstLabel(text, SENTIMENT)).isEqualTo(expected);
  }

  @Test
  void firstLabelMatchesWholeWordsOnly() {
    assertThat(AnswerParser.firstLabel("nonpositive outlook", SENTIMENT)).isNull();
    assertThat(AnswerParser.firstLabel("positively nonpositive", SENTIMENT)).isNull();
    assertThat(AnswerParser.firstLabel("nonpositive, so negative", SENTIMENT))
        .isEqualTo("Negative");
    assertThat(AnswerParser.firstLabel("positive2", SENTIMENT)).isNull();
    assertThat(AnswerParser.firstLabel("pos_itive-positive", SENTIMENT)).isEqualTo("Positive");
  }

  @Test
  void firstLabelReturnsNullRatherThanADefault() {
    assertThat(AnswerParser.firstLabel("I cannot tell.", SENTIMENT)).isNull();
    assertThat(AnswerParser.firstLabel("", SENTIMENT)).isNull();
    assertThat(AnswerParser.firstLabel(null, SENTIMENT)).isNull();
    assertThat(AnswerParser.firstLabel("positive", List.of())).isNull();
  }

  @Test
  void firstLabelPrefersTheEarliestThenTheLongestChoice() {
    List<String> moves = List.of("up", "no", "no change", "down");
    assertThat(AnswerParser.firstLabel("No change expected, maybe up", moves))
        .isEqualTo("no change");
    assertThat(AnswerParser.firstLabel("no. It goes up", moves)).isEqualTo("no");
    assertThat(AnswerParser.firstLabel("Prices go down, no change later", moves))
        .isEqualTo("down");
    // "no  change" has two spaces: not the choice "no change", so "no" it is.
    assertThat(AnswerParser.firstLabel("no  change", moves)).isEqualTo("no");
    // "nochange" is one word: neither choice.
    assertThat(AnswerParser.firstLabel("nochange", moves)).isNull();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      // text | value | percent | matched text
      "42|42|false|42",
      "$1,234.50 million|1234.5|false|$1,234.50",
      "(3.2)|-3.2|false|(3.2)",
      "\u22124|-4|false|\u22124",
      "+5%|5|true|+5%",
      "the answer is 72.|72|false|72",
      "#### 1,000|1000|false|1,000",
      "3,4|4|false|4",
      ".5|0.5|false|.5",
      "Revenue grew 12.5% to $3.4bn|3.4|false|$3.4",
      "It rose 12.5 percent.|12.5|true|12.5 percent",
      "a loss of -\u20ac2,000,000|-2000000|false|-\u20ac2,000,000",
      "\u00a3 7.25 per share|7.25|false|\u00a3 7.25",
      "$-8|-8|false|$-8",
      "Step 1: 100 - 40 = 60. The answer is 60 shares. Check: 60 + 40 = 100|60|false|60",
      "`Answer: 17\nSo the answer is: 19, not 17 or 18.`|19|false|19",
      "`#### 5\nsome trailing text 99`|5|false|5",
      "It fell (12.5%) year over year|-12.5|true|(12.5%)",
      "1,2345 units|2345|false|2345",
      "In Q3 the ratio was 0.125|0.125|false|0.125",
      "Answer: unknown; earlier estimate 12|12|false|12",
      "prices ranged 10-20|20|false|20",
      "net income (in millions) was 1,234|1234|false|1,234",
      "`  \n\n 1,234,567.5  `|1234567.5|false|1,234,567.5",
      "The answer is -0.3%.|-0.3|true|-0.3%",
  })
  void numberReadsMessyGenerations(String text, double value, boolean percent, String matched) {
    ParsedNumber p = AnswerParser.number(text);
    assertThat(p).isNotNull();
    assertThat(p.value()).isEqualTo(value);
    assertThat(p.percent()).isEqualTo(percent);
    assertThat(p.text()).isEqualTo(matched);
  }

  @Test
  void numberIsNullWithoutANumber() {
    assertThat(AnswerParser.number("no numbers here")).isNull();
    assertThat(AnswerParser.number("")).isNull();
    assertThat(AnswerParser.number(null)).isNull();
    assertThat(AnswerParser.number("FY Q3 results")).isNull();
  }

  @Test
  void numberKeepsTheTextAsWritten() {
    assertThat(AnswerParser.number("about $1,234.50 million").text()).isEqualTo("$1,234.50");
    assertThat(AnswerParser.number("(12.5 million)").text()).isEqualTo("12.5");
    assertThat(AnswerParser.number("(12.5 million)").value()).isEqualTo(12.5);
  }

  @Test
  void numberMatchesWithARelativeTolerance() {
    assertThat(AnswerParser.numberMatches(AnswerParser.number("72"), 72)).isTrue();
    assertThat(AnswerParser.numberMatches(AnswerParser.number("3.14"), 3.14159)).isTrue();
    assertThat(AnswerParser.numberMatches(AnswerParser.number("3.1"), 3.14159)).isFalse();
    assertThat(AnswerParser.numberMatches(AnswerParser.number("1,235"), 1234.5)).isTrue();
    assertThat(AnswerParser.numberMatches(AnswerParser.number("0"), 0)).isTrue();
    assertThat(AnswerParser.numberMatches(AnswerParser.number("0.000002"), 0)).isFalse();
    assertThat(AnswerParser.numberMatches(AnswerParser.number("-5"), 5)).isFalse();
    assertThat(AnswerParser.numberMatches(null, 5)).isFalse();
  }

  @Test
  void aPercentAnswerMatchesARatioGold() {
    ParsedNumber p = AnswerParser.number("The margin is 12.5%");
    assertThat(AnswerParser.numberMatches(p, 0.125)).isTrue();
    assertThat(AnswerParser.numberMatches(p, 12.5)).isTrue();
    // Without the percent sign 12.5 is not 0.125.
    assertThat(AnswerParser.numberMatches(AnswerParser.number("12.5"), 0.125)).isFalse();
  }

  @Test
  void goldNumbersParseWholeLabelsOnly() {
    assertThat(AnswerParser.goldNumber("1,234")).isEqualTo(1234.0);
    assertThat(AnswerParser.goldNumber(" -0.125 ")).isEqualTo(-0.125);
    assertThat(AnswerParser.goldNumber("12.5%")).isEqualTo(12.5);
    assertThat(AnswerParser.goldNumber("1e-05")).isEqualTo(1e-5);
    assertThat(AnswerParser.goldNumber("$3.5")).isEqualTo(3.5);
    assertThat(AnswerParser.goldNumber("(2)")).isEqualTo(-2.0);
    assertThat(AnswerParser.goldNumber("3,4")).isNull();
    assertThat(AnswerParser.goldNumber("yes")).isNull();
    assertThat(AnswerParser.goldNumber("NaN")).isNull();
    assertThat(AnswerParser.goldNumber("")).isNull();
    assertThat(AnswerParser.goldNumber(null)).isNull();
  }

  @Test
  void entitiesReadTheFlareFormat() {
    assertThat(AnswerParser.entities("Apple Inc., ORG\nTim  Cook, PER\nCupertino, LOC"))
        .containsExactly("apple inc.|ORG", "cupertino|LOC", "tim cook|PER");
    // The last comma separates the type, so an entity may contain commas.
    assertThat(AnswerParser.entities("Goldman Sachs Group, Inc., organization; "
        + "New York, location; Warren Buffett, Person"))
        .containsExactly("goldman sachs group, inc.|ORG", "new york|LOC",
            "warren buffett|PER");
  }

  @Test
  void entitiesIgnoreWhatDoesNotParse() {
    assertThat(AnswerParser.entities("There are no entities.")).isEmpty();
    assertThat(AnswerParser.entities("Apple, COMPANY\nIBM, ORG.\n, PER\n\n")).containsExactly(
        "ibm|ORG");
    assertThat(AnswerParser.entities("")).isEmpty();
    assertThat(AnswerParser.entities(null)).isEmpty();
    // Duplicates collapse: a set.
    assertThat(AnswerParser.entities("IBM, ORG; ibm , org")).containsExactly("ibm|ORG");
  }

  @Test
  void canonicalStripsTrailingZeros() {
    assertThat(AnswerParser.canonical(AnswerParser.number("$1,234.50"))).isEqualTo("1234.5");
    assertThat(AnswerParser.canonical(AnswerParser.number("12.50%"))).isEqualTo("12.5%");
    assertThat(AnswerParser.canonical(AnswerParser.number("1,000"))).isEqualTo("1000");
    assertThat(AnswerParser.canonical(AnswerParser.number("(3.0)"))).isEqualTo("-3");
    assertThat(AnswerParser.canonical(AnswerParser.number("0.00"))).isEqualTo("0");
    assertThat(AnswerParser.canonical(AnswerParser.number("-0"))).isEqualTo("0");
    assertThat(AnswerParser.canonical(new ParsedNumber(1e20, false, "1e20")))
        .isEqualTo("100000000000000000000");
  }
}
