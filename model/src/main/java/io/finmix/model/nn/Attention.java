package io.finmix.model.nn;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Causal grouped-query attention inside spans. A span is one example's queries, rows {@code
 * [start, start + length)}; its i-th query sees keys {@code [keyStart, keyStart + prefix + i]}
 * and nothing else: a packed row's examples never see each other, and a span continuing a
 * cached sequence sees its {@code prefix} cached keys. The {@code heads / kvHeads} query heads of
 * a key/value head share its keys and values (no copies).
 *
 * <p>Work is only what the mask keeps, as FlashAttention's variable-length path does: per span,
 * key/value head and query head, query tiles of {@link #TILE} rows each meet only the keys up to
 * their last row (the causal staircase, one matrix product each), so a row packing many short
 * examples pays for each example's own triangle. The forward pass keeps each query's
 * log-sum-exp; the backward pass recomputes the probabilities from it rather than storing them.
 */
final class Attention {

  /** Query rows per tile of the host path. */
  static final int TILE = 64;

  /** Where each span's queries and keys lie (see the class comment); {@code count} used. */
  record Spans(int[] start, int[] length, int[] keyStart, int[] prefix, int count) {

    /** Spans of queries that are their own keys (training, no cache). */
    static Spans of(int[] start, int[] length, int count) {
      return new Spans(start, length, start, new int[count], count);
    }

    int keys(int s) {
      return prefix[s] + length[s];
    }

    int longest() {
      int m = 0;
      for (int s = 0; s < count; s++) {
        m = Math.max(m, keys(s));
      }
      return m;
    }
  }

  private final int heads;
  private final int kvHeads;
  private final int hd;
  private final int group;
  private final double scale;

  Attention(int heads, int kvHeads, int headDim) {
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.hd = headDim;
    this.group = heads / kvHeads;
    this.scale = 1 / Math.sqrt(headDim);
  }

  /**
   * {@code o = softmax(q k^T / sqrt(d) + mask) v} per span and head; each query's log-sum-exp
   * into {@code lse} [rows, heads]. q, o [rows, heads * d]; k, v [keys, kvHeads * d].
   */
  void forward(Mat q, Mat k, Mat v, Spans spans, Mat o, Mat lse, Buffers buffers) {
    if (Kernels.host(q)) {
      Mat[] scratch = scratch(buffers, spans, 1);
      eachUnit(spans, (s, g, t) -> forwardHost(q, k, v, spans, s, g, o, lse, scratch[t]));
      return;
    }
    for (int s = 0; s < spans.count(); s++) {
      for (int g = 0; g < kvHeads; g++) {
        forwardNd(q, k, v, spans, s, g, o, lse);
      }
    }
  }

  /**
   * The gradients of q, k and v from {@code dO}, for spans without a prefix (training): dq
   * set, dk and dv set over each span's keys.
   */
  void backward(Mat q, Mat k, Mat v, Mat o, Mat lse, Mat dO, Spans spans, Mat dq, Mat dk,
      Mat dv, Buffers buffers) {
    for (int s = 0; s < spans.count(); s++) {
      if (spans.prefix()[s] != 0) {
        throw new IllegalStateException("no backward pass through cached keys");
      }
    }
    if (Kernels.host(q)) {
      Mat[] scratch = scratch(buffers, spans, 2);
      eachUnit(spans, (s, g, t) -> backwardHost(q, k, v, o, lse, dO, spans, s, g, dq, dk, dv,
          scratch[2 * t], scratch[2 * t + 1]));
      return;
    }
    for (int s = 0; s < spans.count(); s++) {
      for (int g = 0; g < kvHeads; g++) {
        backwardNd(q, k, v, o, lse, dO, spans, s, g, dq, dk, dv);
      }
    }
  }

  /** One unit of work: span {@code s}, key/value head {@code g}, on worker {@code t}. */
  private interface Unit {
    void run(int s, int g, int t);
  }

  /**
   * Runs every (span, key/value head) unit on the kernel threads, the largest spans first;
   * units write disjoint rows and columns, so their results do not depend on the schedule.
   */
  private void eachUnit(Spans spans, Unit unit) {
    Integer[] order = new Integer[spans.count()];
    for (int s = 0; s < order.length; s++) {
      order[s] = s;
    }
    Arrays.sort(order, (a, b) -> Long.compare(cost(spans, b), cost(spans, a)));
    int units = order.length * kvHeads;
    AtomicInteger next = new AtomicInteger();
    Kernels.parallel(Math.min(Kernels.threads(), units), t -> {
      for (int u = next.getAndIncrement(); u < units; u = next.getAndIncrement()) {
        unit.run(order[u / kvHeads], u % kvHeads, t);
      }
    });
  }

  private static long cost(Spans spans, int s) {
    return (long) spans.length()[s] * spans.keys(s);
  }

  private static final String[] SCRATCH = new String[2 * Kernels.threads()];

  static {
    for (int i = 0; i < SCRATCH.length; i++) {
      SCRATCH[i] = "attention.scratch." + i;
    }
  }

  /** {@code per} scratch matrices per kernel thread, each a tile of the longest span's keys. */
  private static Mat[] scratch(Buffers buffers, Spans spans, int per) {
    int keys = Math.max(1, spans.longest());
    Mat[] out = new Mat[Kernels.threads() * per];
    for (int i = 0; i < out.length; i++) {
      out[i] = buffers.mat(SCRATCH[i], TILE, keys);
    }
    return out;
  }

  /** Tile {@code [i0, i1)} of a span's queries sees keys {@code [0, prefix + i1)}. */
  private void forwardHost(Mat q, Mat k, Mat v, Spans spans, int s, int g, Mat o, Mat lse,
      Mat scratch) {
    int start = spans.start()[s];
    int len = spans.length()[s];
    int prefix = spans.prefix()[s];
    int ks = spans.keyStart()[s];
    FloatBuffer sb = scratch.floats();
    FloatBuffer lb = lse.floats();
    long sAddress = scratch.address(0, 0);
    int sAt = scratch.at(0, 0);
    long kAddress = k.address(ks, g * hd);
    long vAddress = v.address(ks, g * hd);
    float alpha = (float) scale;
    for (int h = g * group; h < (g + 1) * group; h++) {
      for (int i0 = 0; i0 < len; i0 += TILE) {
        int i1 = Math.min(len, i0 + TILE);
        int kc = prefix + i1;
        // S = scale Q K^T over the tile's staircase: [i1 - i0, hd] x [hd, kc]
        Gemm.sgemm(false, true, i1 - i0, kc, hd, alpha, q.address(start + i0, h * hd), q.ld(),
            kAddress, k.ld(), 0f, sAddress, kc);
        float[] x = Kernels.row(0, kc);
        float[] tmp = Kernels.row(1, kc);
        for (int r = 0; r < i1 - i0; r++) {
          int a = sAt + r * kc;
          int seen = prefix + i0 + r + 1;
          sb.get(a, x, 0, seen);
          float max = Kernels.max(x, 0, seen);
          for (int j = 0; j < seen; j++) {
            x[j] -= max;
          }
          Kernels.exp(x, 0, seen, tmp);
          double z = Kernels.sum(x, 0, seen);
          float inv = (float) (1 / z);
          for (int j = 0; j < seen; j++) {
            x[j] *= inv;
          }
          Arrays.fill(x, seen, kc, 0f);
          sb.put(a, x, 0, kc);
          lb.put(lse.at(start + i0 + r, h), (float) (max + Math.log(z)));
        }
        // O = P V: [i1 - i0, kc] x [kc, hd]
        Gemm.sgemm(false, false, i1 - i0, hd, kc, 1f, sAddress, kc, vAddress, v.ld(), 0f,
            o.address(start + i0, h * hd), o.ld());
      }
    }
  }

  private void backwardHost(Mat q, Mat k, Mat v, Mat o, Mat lse, Mat dO, Spans spans, int s,
      int g, Mat dq, Mat dk, Mat dv, Mat scratchP, Mat scratchD) {
    int start = spans.start()[s];
    int len = spans.length()[s];
    zero(dk.rows(start, start + len).cols(g * hd, (g + 1) * hd));
    zero(dv.rows(start, start + len).cols(g * hd, (g + 1) * hd));
    long kAddress = k.address(start, g * hd);
    long vAddress = v.address(start, g * hd);
    long dkAddress = dk.address(start, g * hd);
    long dvAddress = dv.address(start, g * hd);
    long pAddress = scratchP.address(0, 0);
    long dAddress = scratchD.address(0, 0);
    FloatBuffer pb = scratchP.floats();
    FloatBuffer db = scratchD.floats();
    int pAt = scratchP.at(0, 0);
    int dAt = scratchD.at(0, 0);
    FloatBuffer lb = lse.floats();
    FloatBuffer ob = o.floats();
    FloatBuffer gb = dO.floats();
    float alpha = (float) scale;
    for (int h = g * group; h < (g + 1) * group; h++) {
      for (int i0 = 0; i0 < len; i0 += TILE) {
        int i1 = Math.min(len, i0 + TILE);
        int mt = i1 - i0;
        int kc = i1;
        long qt = q.address(start + i0, h * hd);
        long dOt = dO.address(start + i0, h * hd);
        // P = exp(scale Q K^T - lse), recomputed; dP = dO V^T
        Gemm.sgemm(false, true, mt, kc, hd, alpha, qt, q.ld(), kAddress, k.ld(), 0f, pAddress,
            kc);
        Gemm.sgemm(false, true, mt, kc, hd, 1f, dOt, dO.ld(), vAddress, v.ld(), 0f, dAddress,
            kc);
        float[] pr = Kernels.row(0, kc);
        float[] dr = Kernels.row(1, kc);
        float[] tmp = Kernels.row(2, kc);
        for (int r = 0; r < mt; r++) {
          int row = start + i0 + r;
          int seen = i0 + r + 1;
          float l = lb.get(lse.at(row, h));
          int oa = o.at(row, h * hd);
          int ga = dO.at(row, h * hd);
          double dot = 0;
          for (int j = 0; j < hd; j++) {
            dot += ob.get(oa + j) * gb.get(ga + j);
          }
          float di = (float) dot;
          pb.get(pAt + r * kc, pr, 0, seen);
          db.get(dAt + r * kc, dr, 0, seen);
          for (int j = 0; j < seen; j++) {
            pr[j] -= l;
          }
          Kernels.exp(pr, 0, seen, tmp);
          // dS = P (dP - rowsum(dO O))
          for (int j = 0; j < seen; j++) {
            dr[j] = pr[j] * (dr[j] - di);
          }
          Arrays.fill(pr, seen, kc, 0f);
          Arrays.fill(dr, seen, kc, 0f);
          pb.put(pAt + r * kc, pr, 0, kc);
          db.put(dAt + r * kc, dr, 0, kc);
        }
        // dQ = scale dS K; dK += scale dS^T Q; dV += P^T dO
        Gemm.sgemm(false, false, mt, hd, kc, alpha, dAddress, kc, kAddress, k.ld(), 0f,
            dq.address(start + i0, h * hd), dq.ld());
        Gemm.sgemm(true, false, kc, hd, mt, alpha, dAddress, kc, qt, q.ld(), 1f, dkAddress,
            dk.ld());
        Gemm.sgemm(true, false, kc, hd, mt, 1f, pAddress, kc, dOt, dO.ld(), 1f, dvAddress,
            dv.ld());
      }
    }
  }

  private static void zero(Mat m) {
    FloatBuffer b = m.floats();
    for (int i = 0; i < m.rows(); i++) {
      int a = m.at(i, 0);
      for (int j = 0; j < m.cols(); j++) {
        b.put(a + j, 0f);
      }
    }
  }

  // The ND4J path: per span and key/value head, the group's queries stacked head-major
  // [group * length, d], the span's keys [keys, d], an additive mask, dense products.

  private void forwardNd(Mat q, Mat k, Mat v, Spans spans, int s, int g, Mat o, Mat lse) {
    int start = spans.start()[s];
    int len = spans.length()[s];
    int kc = spans.keys(s);
    int ks = spans.keyStart()[s];
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray qg = headMajor(q.rows(start, start + len).cols(g * group * hd,
          (g + 1) * group * hd).nd(), len);
      INDArray kg = k.rows(ks, ks + kc).cols(g * hd, (g + 1) * hd).nd();
      INDArray vg = v.rows(ks, ks + kc).cols(g * hd, (g + 1) * hd).nd();
      INDArray scores = qg.mmul(kg.transpose()).muli(scale).addi(mask(len, spans.prefix()[s],
          qg));
      INDArray max = scores.max(true, 1);
      INDArray e = Transforms.exp(scores.subiColumnVector(max), false);
      INDArray z = e.sum(true, 1);
      INDArray out = e.diviColumnVector(z).mmul(vg);
      o.rows(start, start + len).cols(g * group * hd, (g + 1) * group * hd).nd()
          .assign(rowMajor(out, len));
      INDArray l = Transforms.log(z, false).addi(max).reshape(group, len).transpose();
      lse.rows(start, start + len).cols(g * group, (g + 1) * group).nd().assign(l);
    }
  }

  private void backwardNd(Mat q, Mat k, Mat v, Mat o, Mat lse, Mat dO, Spans spans, int s,
      int g, Mat dq, Mat dk, Mat dv) {
    int start = spans.start()[s];
    int len = spans.length()[s];
    int cols0 = g * group * hd;
    int cols1 = (g + 1) * group * hd;
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray qg = headMajor(q.rows(start, start + len).cols(cols0, cols1).nd(), len);
      INDArray og = headMajor(o.rows(start, start + len).cols(cols0, cols1).nd(), len);
      INDArray gg = headMajor(dO.rows(start, start + len).cols(cols0, cols1).nd(), len);
      INDArray kg = k.rows(start, start + len).cols(g * hd, (g + 1) * hd).nd();
      INDArray vg = v.rows(start, start + len).cols(g * hd, (g + 1) * hd).nd();
      INDArray l = lse.rows(start, start + len).cols(g * group, (g + 1) * group).nd().dup('c')
          .transpose().dup('c').reshape(group * len, 1);
      INDArray p = Transforms.exp(qg.mmul(kg.transpose()).muli(scale).addi(mask(len, 0, qg))
          .subiColumnVector(l), false);
      INDArray d = gg.mul(og).sum(true, 1);
      INDArray ds = gg.mmul(vg.transpose()).subiColumnVector(d).muli(p);
      dq.rows(start, start + len).cols(cols0, cols1).nd()
          .assign(rowMajor(ds.mmul(kg).muli(scale), len));
      dk.rows(start, start + len).cols(g * hd, (g + 1) * hd).nd()
          .assign(ds.transpose().mmul(qg).muli(scale));
      dv.rows(start, start + len).cols(g * hd, (g + 1) * hd).nd()
          .assign(p.transpose().mmul(gg));
    }
  }

  /** [len, group * d] (one row per token) to [group * len, d] (the group's heads stacked). */
  private INDArray headMajor(INDArray x, int len) {
    return x.dup('c').reshape(len, group, hd).permute(1, 0, 2).dup('c').reshape(group * len, hd);
  }

  /** The inverse of {@link #headMajor}. */
  private INDArray rowMajor(INDArray x, int len) {
    return x.reshape(group, len, hd).permute(1, 0, 2).dup('c').reshape(len, group * hd);
  }

  /** The additive mask of a span, [group * len, prefix + len]: 0 where seen, else -1e30. */
  private INDArray mask(int len, int prefix, INDArray like) {
    float[][] m = new float[group * len][prefix + len];
    for (int h = 0; h < group; h++) {
      for (int i = 0; i < len; i++) {
        Arrays.fill(m[h * len + i], prefix + i + 1, prefix + len, -1e30f);
      }
    }
    return Nd4j.createFromArray(m).castTo(like.dataType());
  }
}
