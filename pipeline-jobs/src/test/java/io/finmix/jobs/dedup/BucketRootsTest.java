package io.finmix.jobs.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BucketRootsTest {

  @Test
  void everyPairGetsItsBucketsSmallestId() {
    BucketRoots roots = new BucketRoots();
    Map<Long, Long> expected = new HashMap<>();
    SplittableRandom random = new SplittableRandom(3);
    // More pairs than the initial arrays hold, buckets shared by 1 to many ids, in any order.
    for (int i = 0; i < 20_000; i++) {
      long bucket = random.nextInt(7_000) - 3_500L;
      long id = random.nextLong();
      roots.add(bucket, id);
      expected.merge(bucket, id, Math::min);
    }
    roots.group();
    assertThat(roots.size()).isEqualTo(20_000);
    random = new SplittableRandom(3);
    for (int i = 0; i < roots.size(); i++) {
      long bucket = random.nextInt(7_000) - 3_500L;
      long id = random.nextLong();
      assertThat(roots.id(i)).isEqualTo(id);
      assertThat(roots.root(i)).isEqualTo(expected.get(bucket));
    }
  }

  @Test
  void anEmptyPartitionGroupsToNothing() {
    BucketRoots roots = new BucketRoots();
    roots.group();
    assertThat(roots.size()).isZero();
  }
}
