package io.finmix.jobs.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BestFitDecreasingTest {

  @Test
  void eachItemGoesToTheTightestBinThatFits() {
    // lengths 6, 5, 4, 3, 2 into 10: 6 opens bin 0, 5 opens 1, 4 fits 0 (room 4), 3 fits 1
    // (room 5, the only fit), 2 fits 1 (room 2).
    long[] counts = new long[11];
    for (int l : new int[] {6, 5, 4, 3, 2}) {
      counts[l]++;
    }
    BestFitDecreasing p = BestFitDecreasing.plan(counts, 10);
    assertThat(p.bins()).isEqualTo(2);
    assertThat(p.bin(6, 0)).isZero();
    assertThat(p.bin(5, 0)).isEqualTo(1);
    assertThat(p.bin(4, 0)).isZero();
    assertThat(p.bin(3, 0)).isEqualTo(1);
    assertThat(p.bin(2, 0)).isEqualTo(1);
  }

  @Test
  void noBinOverflowsAndManySmallItemsPackTightly() {
    int capacity = 512;
    long[] counts = new long[capacity + 1];
    Random random = new Random(3);
    long total = 0;
    for (int i = 0; i < 20_000; i++) {
      int l = 20 + random.nextInt(200);
      counts[l]++;
      total += l;
    }
    BestFitDecreasing p = BestFitDecreasing.plan(counts, capacity);
    long[] used = new long[p.bins()];
    for (int l = 1; l <= capacity; l++) {
      for (long k = 0; k < counts[l]; k++) {
        used[p.bin(l, k)] += l;
      }
    }
    for (long u : used) {
      assertThat(u).isBetween(1L, (long) capacity);
    }
    assertThat(total / (double) (p.bins() * (long) capacity)).isGreaterThan(0.98);
  }
}
