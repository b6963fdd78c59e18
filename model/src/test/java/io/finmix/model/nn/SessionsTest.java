package io.finmix.model.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.ArrayCacheMemoryMgr;

class SessionsTest {

  @Test
  void aModelUsedFromThreadAfterThreadKeepsOneBoundedSessionPerGraph() throws Exception {
    Decoder d = new Decoder(DecoderTest.TINY, 1);
    Random r = new Random(5);
    Batch batch = Batch.ofPackedExamples(List.of(List.of(DecoderTest.example(r, 20, 512)),
        List.of(DecoderTest.example(r, 12, 512))), 24);
    double loss = d.loss(batch);
    double[] seen = new double[3];
    // as Spark runs a pooled model: one task thread after another
    for (int i = 0; i < 3; i++) {
      int task = i;
      Thread t = new Thread(() -> {
        d.gradients(batch);
        seen[task] = d.loss(batch);
      });
      t.start();
      t.join();
    }
    assertThat(seen).containsOnly(loss);
    SameDiff grad = d.graph().getFunction("grad");
    // without Sessions: four sessions in each graph, one per thread that ever ran it
    assertThat(d.graph().getSessions()).hasSize(1);
    assertThat(grad.getSessions()).hasSize(1);
    for (InferenceSession s : List.of(d.graph().getSessions().values().iterator().next(),
        grad.getSessions().values().iterator().next())) {
      assertThat(s.getMmgr()).isInstanceOf(ArrayCacheMemoryMgr.class);
      assertThat(((ArrayCacheMemoryMgr) s.getMmgr()).getMaxCacheBytes()).isPositive()
          .isLessThanOrEqualTo(Sessions.CACHE_BYTES);
    }
  }
}
