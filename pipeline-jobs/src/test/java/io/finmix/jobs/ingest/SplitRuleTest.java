package io.finmix.jobs.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SplitRuleTest {

  @Test
  void hashSplitsAreStableAndFollowTheFractions() {
    TreeMap<String, Double> fractions = new TreeMap<>(Map.of("train", 0.8, "valid", 0.1,
        "test", 0.1));
    SplitRule.Hash rule = new SplitRule.Hash(fractions, 11, SplitRule.By.TEXT);
    SplitRule.Hash reseeded = new SplitRule.Hash(fractions, 12, SplitRule.By.TEXT);
    Map<String, Integer> counts = new HashMap<>();
    int moved = 0;
    for (int i = 0; i < 20_000; i++) {
      String text = "sentence number " + i;
      String split = rule.pick(text);
      assertThat(rule.pick(text)).isEqualTo(split);
      counts.merge(split, 1, Integer::sum);
      moved += split.equals(reseeded.pick(text)) ? 0 : 1;
    }
    assertThat(counts.get("train") / 20_000.0).isCloseTo(0.8, within(0.015));
    assertThat(counts.get("valid") / 20_000.0).isCloseTo(0.1, within(0.01));
    assertThat(counts.get("test") / 20_000.0).isCloseTo(0.1, within(0.01));
    assertThat(moved).as("another seed draws another split").isGreaterThan(4000);
    // A fixed point, so a change to the hash is seen: ids and splits must not drift.
    assertThat(rule.pick("the company 's net sales rose by 5 % .")).isEqualTo("train");
  }
}
