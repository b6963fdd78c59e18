package io.finmix.model.nn;

import io.finmix.model.config.ModelConfig;
import io.finmix.model.config.ModelConfig.Mlp;

/**
 * One transformer block, pre-norm: {@code x = x + attention(norm1(x)); x = x + mlp(norm2(x))}.
 * The forward pass keeps what its backward pass needs in the {@link Pass}'s buffers under the
 * pass's slot (the layer when training; slot 0, shared by every layer, when not), and writes
 * the block's output to {@code out}, which may be {@code x} itself when nothing is kept.
 */
final class Block {

  private final ModelConfig c;
  private final Normalization norm1;
  private final Normalization norm2;
  private final Linear q;
  private final Linear k;
  private final Linear v;
  private final Linear o;
  private final RmsNorm qNorm;
  private final RmsNorm kNorm;
  private final Linear gate;
  private final Linear up;
  private final Linear down;
  private final Rotary rotary;
  private final Attention attention;
  private final int layer;

  /** The block's parts; {@code qNorm}, {@code kNorm}, {@code gate}, {@code rotary}: may be null. */
  Block(ModelConfig c, int layer, Normalization norm1, Linear q, Linear k, Linear v,
      RmsNorm qNorm, RmsNorm kNorm, Linear o, Normalization norm2, Linear gate, Linear up,
      Linear down, Rotary rotary) {
    this.c = c;
    this.layer = layer;
    this.norm1 = norm1;
    this.q = q;
    this.k = k;
    this.v = v;
    this.qNorm = qNorm;
    this.kNorm = kNorm;
    this.o = o;
    this.norm2 = norm2;
    this.gate = gate;
    this.up = up;
    this.down = down;
    this.rotary = rotary;
    this.attention = new Attention(c.heads(), c.kvHeads(), c.headDim());
    for (Saved kind : Saved.values()) {
      String name = kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '.');
      names[0][kind.ordinal()] = "L0." + name;
      names[1][kind.ordinal()] = "L" + layer + "." + name;
    }
  }

  /** The activations a block keeps, for its backward pass or (slot 0) for the next block. */
  private enum Saved { H1, ST1, Q, K, V, Q_RAW, K_RAW, Q_ST, K_ST, O, LSE, MID, H2, ST2, UP, ACT, GATE }

  /** Buffer names of the saved activations: [slot 0, slot = layer][kind]. */
  private final String[][] names = new String[2][Saved.values().length];

  private Mat saved(Pass pass, Saved kind, int rows, int cols) {
    return pass.buffers().mat(names[pass.slot() == 0 ? 0 : 1][kind.ordinal()], rows, cols);
  }

  private static Mat scratch(Pass pass, String name, int rows, int cols) {
    return pass.buffers().mat(name, rows, cols);
  }

  /**
   * x [n, hidden] to out [n, hidden]. New keys and values go to {@code cache} (null: the
   * block's own buffers, which the spans' key rows then index).
   */
  void forward(Pass pass, Mat x, Mat out, Attention.Spans spans, KvCache cache) {
    int n = x.rows();
    int hd = c.headDim();
    int qw = c.heads() * hd;
    int kvw = c.kvHeads() * hd;
    // attention: h = norm1(x); q, k, v = h Wq, h Wk, h Wv      [n, hidden] -> [n, heads * hd]
    Mat h = saved(pass, Saved.H1, n, c.hidden());
    Mat st = saved(pass, Saved.ST1, n, 2);
    norm1.forward(x, h, st);
    Mat qm = saved(pass, Saved.Q, n, qw);
    Mat km = saved(pass, Saved.K, n, kvw);
    Mat vm = saved(pass, Saved.V, n, kvw);
    if (qNorm != null) {
      Mat qRaw = saved(pass, Saved.Q_RAW, n, qw);
      Mat kRaw = saved(pass, Saved.K_RAW, n, kvw);
      q.forward(h, qRaw, false, pass);
      k.forward(h, kRaw, false, pass);
      // per-head RMSNorm over [n * heads, hd]
      qNorm.forward(qRaw.reshape(hd), qm.reshape(hd), saved(pass, Saved.Q_ST, n * c.heads(), 2));
      kNorm.forward(kRaw.reshape(hd), km.reshape(hd), saved(pass, Saved.K_ST, n * c.kvHeads(), 2));
    } else {
      q.forward(h, qm, false, pass);
      k.forward(h, km, false, pass);
    }
    v.forward(h, vm, false, pass);
    if (rotary != null) {
      rotary.forward(qm, c.heads());
      rotary.forward(km, c.kvHeads());
    }
    Mat keys = km;
    Mat values = vm;
    if (cache != null) {
      cache.write(layer, km, vm, spans);
      keys = cache.keys(layer);
      values = cache.values(layer);
    }
    Mat att = saved(pass, Saved.O, n, qw);
    attention.forward(qm, keys, values, spans, att, saved(pass, Saved.LSE, n, c.heads()),
        pass.buffers());
    // mid = x + o Wo                                            [n, heads * hd] -> [n, hidden]
    Mat mid = out == x ? x : saved(pass, Saved.MID, n, c.hidden());
    if (mid != x) {
      Ops.copy(x, mid);
    }
    o.forward(att, mid, true, pass);
    // mlp: out = mid + down(act(gate(h2)) * up(h2))            [n, hidden] -> [n, mlp] -> [n, hidden]
    Mat h2 = saved(pass, Saved.H2, n, c.hidden());
    norm2.forward(mid, h2, saved(pass, Saved.ST2, n, 2));
    Mat upm = saved(pass, Saved.UP, n, c.mlpHidden());
    Mat act = saved(pass, Saved.ACT, n, c.mlpHidden());
    up.forward(h2, upm, false, pass);
    if (c.mlp() == Mlp.SWIGLU) {
      Mat g = saved(pass, Saved.GATE, n, c.mlpHidden());
      gate.forward(h2, g, false, pass);
      SwiGlu.forward(g, upm, act);
    } else {
      GeluTanh.forward(upm, act);
    }
    if (out != mid) {
      Ops.copy(mid, out);
    }
    down.forward(act, out, true, pass);
  }

  /**
   * The backward pass of the forward pass kept under the pass's slot: {@code dx} holds the
   * gradient of the block's output and is replaced by its input's; parameter gradients set.
   */
  void backward(Pass pass, Mat x, Mat dx, Attention.Spans spans) {
    int n = x.rows();
    int hd = c.headDim();
    int qw = c.heads() * hd;
    int kvw = c.kvHeads() * hd;
    int f = c.mlpHidden();
    Mat mid = saved(pass, Saved.MID, n, c.hidden());
    Mat h2 = saved(pass, Saved.H2, n, c.hidden());
    Mat upm = saved(pass, Saved.UP, n, f);
    Mat dact = scratch(pass, "d.act", n, f);
    Mat dup = scratch(pass, "d.up", n, f);
    Mat dh = scratch(pass, "d.h", n, c.hidden());
    // mlp
    down.backward(saved(pass, Saved.ACT, n, f), dx, dact, false, pass);
    if (c.mlp() == Mlp.SWIGLU) {
      Mat g = saved(pass, Saved.GATE, n, f);
      Mat dgate = scratch(pass, "d.gate", n, f);
      SwiGlu.backward(dact, g, upm, dgate, dup);
      gate.backward(h2, dgate, dh, false, pass);
      up.backward(h2, dup, dh, true, pass);
    } else {
      GeluTanh.backward(dact, upm, dup);
      up.backward(h2, dup, dh, false, pass);
    }
    norm2.backward(dh, mid, saved(pass, Saved.ST2, n, 2), dx, true);
    // attention
    Mat qm = saved(pass, Saved.Q, n, qw);
    Mat km = saved(pass, Saved.K, n, kvw);
    Mat vm = saved(pass, Saved.V, n, kvw);
    Mat att = saved(pass, Saved.O, n, qw);
    Mat dO = scratch(pass, "d.o", n, qw);
    o.backward(att, dx, dO, false, pass);
    Mat dq = scratch(pass, "d.q", n, qw);
    Mat dk = scratch(pass, "d.k", n, kvw);
    Mat dv = scratch(pass, "d.v", n, kvw);
    attention.backward(qm, km, vm, att, saved(pass, Saved.LSE, n, c.heads()), dO, spans, dq, dk, dv,
        pass.buffers());
    if (rotary != null) {
      rotary.backward(dq, c.heads());
      rotary.backward(dk, c.kvHeads());
    }
    if (qNorm != null) {
      Mat dqRaw = scratch(pass, "d.q.raw", n, qw);
      Mat dkRaw = scratch(pass, "d.k.raw", n, kvw);
      qNorm.backward(dq.reshape(hd), saved(pass, Saved.Q_RAW, n, qw).reshape(hd),
          saved(pass, Saved.Q_ST, n * c.heads(), 2), dqRaw.reshape(hd), false);
      kNorm.backward(dk.reshape(hd), saved(pass, Saved.K_RAW, n, kvw).reshape(hd),
          saved(pass, Saved.K_ST, n * c.kvHeads(), 2), dkRaw.reshape(hd), false);
      dq = dqRaw;
      dk = dkRaw;
    }
    Mat h = saved(pass, Saved.H1, n, c.hidden());
    q.backward(h, dq, dh, false, pass);
    k.backward(h, dk, dh, true, pass);
    v.backward(h, dv, dh, true, pass);
    norm1.backward(dh, x, saved(pass, Saved.ST1, n, 2), dx, true);
  }
}
