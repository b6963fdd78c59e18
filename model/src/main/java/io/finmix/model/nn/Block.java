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
  }

  private Mat saved(Pass pass, String name, int rows, int cols) {
    return pass.buffers().mat("L" + pass.slot() + "." + name, rows, cols);
  }

  private static Mat scratch(Pass pass, String name, int rows, int cols) {
    return pass.buffers().mat("d." + name, rows, cols);
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
    Mat h = saved(pass, "h1", n, c.hidden());
    Mat st = saved(pass, "st1", n, 2);
    norm1.forward(x, h, st);
    Mat qm = saved(pass, "q", n, qw);
    Mat km = saved(pass, "k", n, kvw);
    Mat vm = saved(pass, "v", n, kvw);
    if (qNorm != null) {
      Mat qRaw = saved(pass, "q.raw", n, qw);
      Mat kRaw = saved(pass, "k.raw", n, kvw);
      q.forward(h, qRaw, false, pass);
      k.forward(h, kRaw, false, pass);
      // per-head RMSNorm over [n * heads, hd]
      qNorm.forward(qRaw.reshape(hd), qm.reshape(hd), saved(pass, "q.st", n * c.heads(), 2));
      kNorm.forward(kRaw.reshape(hd), km.reshape(hd), saved(pass, "k.st", n * c.kvHeads(), 2));
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
    Mat att = saved(pass, "o", n, qw);
    attention.forward(qm, keys, values, spans, att, saved(pass, "lse", n, c.heads()),
        pass.buffers());
    // mid = x + o Wo                                            [n, heads * hd] -> [n, hidden]
    Mat mid = out == x ? x : saved(pass, "mid", n, c.hidden());
    if (mid != x) {
      Ops.copy(x, mid);
    }
    o.forward(att, mid, true, pass);
    // mlp: out = mid + down(act(gate(h2)) * up(h2))            [n, hidden] -> [n, mlp] -> [n, hidden]
    Mat h2 = saved(pass, "h2", n, c.hidden());
    norm2.forward(mid, h2, saved(pass, "st2", n, 2));
    Mat upm = saved(pass, "up", n, c.mlpHidden());
    Mat act = saved(pass, "act", n, c.mlpHidden());
    up.forward(h2, upm, false, pass);
    if (c.mlp() == Mlp.SWIGLU) {
      Mat g = saved(pass, "gate", n, c.mlpHidden());
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
    Mat mid = saved(pass, "mid", n, c.hidden());
    Mat h2 = saved(pass, "h2", n, c.hidden());
    Mat upm = saved(pass, "up", n, f);
    Mat dact = scratch(pass, "act", n, f);
    Mat dup = scratch(pass, "up", n, f);
    Mat dh = scratch(pass, "h", n, c.hidden());
    // mlp
    down.backward(saved(pass, "act", n, f), dx, dact, false, pass);
    if (c.mlp() == Mlp.SWIGLU) {
      Mat g = saved(pass, "gate", n, f);
      Mat dgate = scratch(pass, "gate", n, f);
      SwiGlu.backward(dact, g, upm, dgate, dup);
      gate.backward(h2, dgate, dh, false, pass);
      up.backward(h2, dup, dh, true, pass);
    } else {
      GeluTanh.backward(dact, upm, dup);
      up.backward(h2, dup, dh, false, pass);
    }
    norm2.backward(dh, mid, saved(pass, "st2", n, 2), dx, true);
    // attention
    Mat qm = saved(pass, "q", n, qw);
    Mat km = saved(pass, "k", n, kvw);
    Mat vm = saved(pass, "v", n, kvw);
    Mat att = saved(pass, "o", n, qw);
    Mat dO = scratch(pass, "o", n, qw);
    o.backward(att, dx, dO, false, pass);
    Mat dq = scratch(pass, "q", n, qw);
    Mat dk = scratch(pass, "k", n, kvw);
    Mat dv = scratch(pass, "v", n, kvw);
    attention.backward(qm, km, vm, att, saved(pass, "lse", n, c.heads()), dO, spans, dq, dk, dv,
        pass.buffers());
    if (rotary != null) {
      rotary.backward(dq, c.heads());
      rotary.backward(dk, c.kvHeads());
    }
    if (qNorm != null) {
      Mat dqRaw = scratch(pass, "q.raw", n, qw);
      Mat dkRaw = scratch(pass, "k.raw", n, kvw);
      qNorm.backward(dq.reshape(hd), saved(pass, "q.raw", n, qw).reshape(hd),
          saved(pass, "q.st", n * c.heads(), 2), dqRaw.reshape(hd), false);
      kNorm.backward(dk.reshape(hd), saved(pass, "k.raw", n, kvw).reshape(hd),
          saved(pass, "k.st", n * c.kvHeads(), 2), dkRaw.reshape(hd), false);
      dq = dqRaw;
      dk = dkRaw;
    }
    Mat h = saved(pass, "h1", n, c.hidden());
    q.backward(h, dq, dh, false, pass);
    k.backward(h, dk, dh, true, pass);
    v.backward(h, dv, dh, true, pass);
    norm1.backward(dh, x, saved(pass, "st1", n, 2), dx, true);
  }
}
