package io.finmix.model.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Each operation's backward pass against central finite differences of its forward pass, in
 * double (the ND4J path), through the loss {@code sum(y * R)} for a fixed random R; then the
 * host path (float) against the ND4J path on the same inputs, forward and backward.
 */
class OperationsTest {

  static final double EPS = 1e-6;

  /** One operation under test: inputs and parameters by name, a forward and a backward pass. */
  interface Case {
    /** The arrays whose gradients are checked, by name (inputs and parameters). */
    Map<String, INDArray> inputs();

    /** The output, a new array. */
    INDArray forward();

    /** Gradients of {@code sum(y * r)} by input name. */
    Map<String, INDArray> backward(INDArray r);
  }

  static INDArray randn(DataType t, Random r, long... shape) {
    double[] x = new double[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextGaussian();
    }
    return Nd4j.createFromArray(x).castTo(t).reshape(shape).dup('c');
  }

  static INDArray zeros(DataType t, long... shape) {
    return Nd4j.create(t, shape);
  }

  /** Finite differences at a few elements of every input, against the backward pass. */
  static void gradientCheck(String what, Case c) {
    Random pick = new Random(3);
    INDArray r = randn(DataType.DOUBLE, new Random(11), c.forward().shape());
    Map<String, INDArray> grads = c.backward(r);
    for (Map.Entry<String, INDArray> e : c.inputs().entrySet()) {
      INDArray x = e.getValue();
      INDArray g = grads.get(e.getKey());
      assertThat(g).as(what + " " + e.getKey()).isNotNull();
      for (int k = 0; k < 6; k++) {
        long i = pick.nextInt((int) x.length());
        double orig = x.getDouble(i);
        x.putScalar(i, orig + EPS);
        double up = c.forward().mul(r).sumNumber().doubleValue();
        x.putScalar(i, orig - EPS);
        double down = c.forward().mul(r).sumNumber().doubleValue();
        x.putScalar(i, orig);
        double numeric = (up - down) / (2 * EPS);
        double analytic = g.getDouble(i);
        double scale = Math.max(1e-5, Math.abs(numeric) + Math.abs(analytic));
        assertThat(Math.abs(numeric - analytic) / scale)
            .as("%s d/d%s[%d]: numeric %s, analytic %s", what, e.getKey(), i, numeric, analytic)
            .isLessThan(1e-5);
      }
    }
  }

  /** The host path (float) against the ND4J path (float) on copies of the same inputs. */
  static void pathsAgree(String what, Function<DataType, Case> make) throws Exception {
    Case host = make.apply(DataType.FLOAT);
    Case nd4j = make.apply(DataType.FLOAT);
    INDArray r = randn(DataType.FLOAT, new Random(11), host.forward().shape());
    INDArray yh = host.forward();
    Map<String, INDArray> gh = host.backward(r);
    try (AutoCloseable path = Kernels.nd4jPath()) {
      INDArray yn = nd4j.forward();
      Map<String, INDArray> gn = nd4j.backward(r);
      close(what + " output", yh, yn);
      for (String name : gn.keySet()) {
        close(what + " d" + name, gh.get(name), gn.get(name));
      }
    }
  }

  static void close(String what, INDArray a, INDArray b) {
    double scale = Math.max(1e-6, b.amaxNumber().doubleValue());
    assertThat(a.sub(b).amaxNumber().doubleValue() / scale).as(what).isLessThan(1e-5);
  }

  /** Both checks for a case built in any dtype. */
  static void check(String what, Function<DataType, Case> make) throws Exception {
    gradientCheck(what, make.apply(DataType.DOUBLE));
    pathsAgree(what, make);
  }

  static Buffers buffers(DataType t) {
    return new Buffers(t);
  }

  @Test
  void linearWithBiasAndAdapters() throws Exception {
    for (double dropout : new double[] {0, 0.3}) {
      check("linear, dropout " + dropout, t -> {
        Random r = new Random(1);
        INDArray x = randn(t, r, 7, 5);
        INDArray w = randn(t, r, 4, 5);
        INDArray b = randn(t, r, 4);
        INDArray a = randn(t, r, 2, 5);
        INDArray bb = randn(t, r, 4, 2);
        INDArray dw = zeros(t, 4, 5);
        INDArray db = zeros(t, 4);
        INDArray da = zeros(t, 2, 5);
        INDArray dbb = zeros(t, 4, 2);
        Linear lin = new Linear("lin", Mat.of(w), Mat.of(b), Mat.of(dw), Mat.of(db),
            new Linear.Adapter(Mat.of(a), Mat.of(bb), Mat.of(da), Mat.of(dbb), 1.5, dropout, 3));
        Buffers buf = buffers(t);
        Pass pass = new Pass(buf, 0, 42L);
        return new Case() {
          public Map<String, INDArray> inputs() {
            return Map.of("x", x, "w", w, "b", b, "lora_A", a, "lora_B", bb);
          }

          public INDArray forward() {
            Mat y = buf.mat("y", 7, 4);
            lin.forward(Mat.of(x), y, false, pass);
            return y.nd().dup();
          }

          public Map<String, INDArray> backward(INDArray rr) {
            forward();
            Mat dx = buf.mat("dx", 7, 5);
            lin.backward(Mat.of(x), Mat.of(rr.castTo(t).dup('c')), dx, false, pass);
            return Map.of("x", dx.nd().dup(), "w", dw, "b", db, "lora_A", da, "lora_B", dbb);
          }
        };
      });
    }
  }

  @Test
  void normsAcrossRows() throws Exception {
    for (String kind : List.of("rms", "layer")) {
      check(kind + " norm", t -> {
        Random r = new Random(2);
        INDArray x = randn(t, r, 6, 8).muli(2).addi(0.5);
        INDArray w = randn(t, r, 8).addi(1);
        INDArray b = randn(t, r, 8);
        INDArray dw = zeros(t, 8);
        INDArray db = zeros(t, 8);
        Normalization n = kind.equals("rms") ? new RmsNorm(Mat.of(w), Mat.of(dw), 1e-5)
            : new LayerNorm(Mat.of(w), Mat.of(b), Mat.of(dw), Mat.of(db), 1e-5);
        Buffers buf = buffers(t);
        return new Case() {
          public Map<String, INDArray> inputs() {
            return kind.equals("rms") ? Map.of("x", x, "w", w) : Map.of("x", x, "w", w, "b", b);
          }

          public INDArray forward() {
            Mat y = buf.mat("y", 6, 8);
            n.forward(Mat.of(x), y, buf.mat("st", 6, 2));
            return y.nd().dup();
          }

          public Map<String, INDArray> backward(INDArray rr) {
            forward();
            Mat dx = buf.mat("dx", 6, 8);
            Ops.copy(Mat.of(randn(t, new Random(5), 6, 8)), dx); // accumulate onto this
            INDArray before = dx.nd().dup();
            n.backward(Mat.of(rr.castTo(t).dup('c')), Mat.of(x), buf.mat("st", 6, 2), dx, true);
            return kind.equals("rms") ? Map.of("x", dx.nd().sub(before), "w", dw)
                : Map.of("x", dx.nd().sub(before), "w", dw, "b", db);
          }
        };
      });
    }
  }

  @Test
  void rotaryPositions() throws Exception {
    check("rotary", t -> {
      Random r = new Random(3);
      INDArray x = randn(t, r, 5, 2 * 6);
      int[] positions = {0, 3, 1, 7, 2};
      Rotary rope = new Rotary(6, 500.0, t);
      Buffers buf = buffers(t);
      return new Case() {
        public Map<String, INDArray> inputs() {
          return Map.of("x", x);
        }

        public INDArray forward() {
          Mat y = buf.mat("y", 5, 12);
          Ops.copy(Mat.of(x), y);
          rope.prepare(positions, 5, buf);
          rope.forward(y, 2);
          return y.nd().dup();
        }

        public Map<String, INDArray> backward(INDArray rr) {
          Mat d = buf.mat("d", 5, 12);
          Ops.copy(Mat.of(rr.castTo(t).dup('c')), d);
          rope.prepare(positions, 5, buf);
          rope.backward(d, 2);
          return Map.of("x", d.nd().dup());
        }
      };
    });
  }

  /** Attention over {@code n} rows of random q, k, v in the given spans. */
  static Case attention(DataType t, long seed, int n, int heads, int kvHeads, int hd,
      Attention.Spans spans) {
    Random r = new Random(seed);
    INDArray q = randn(t, r, n, heads * hd);
    INDArray k = randn(t, r, n, kvHeads * hd);
    INDArray v = randn(t, r, n, kvHeads * hd);
    Attention att = new Attention(heads, kvHeads, hd);
    Buffers buf = buffers(t);
    return new Case() {
      public Map<String, INDArray> inputs() {
        return Map.of("q", q, "k", k, "v", v);
      }

      public INDArray forward() {
        Mat o = buf.mat("o", n, heads * hd);
        att.forward(Mat.of(q), Mat.of(k), Mat.of(v), spans, o, buf.mat("lse", n, heads), buf);
        return o.nd().dup();
      }

      public Map<String, INDArray> backward(INDArray rr) {
        forward();
        Mat dq = buf.mat("dq", n, heads * hd);
        Mat dk = buf.mat("dk", n, kvHeads * hd);
        Mat dv = buf.mat("dv", n, kvHeads * hd);
        att.backward(Mat.of(q), Mat.of(k), Mat.of(v), buf.mat("o", n, heads * hd),
            buf.mat("lse", n, heads), Mat.of(rr.castTo(t).dup('c')), spans, dq, dk, dv, buf);
        return Map.of("q", dq.nd().dup(), "k", dk.nd().dup(), "v", dv.nd().dup());
      }
    };
  }

  @Test
  void groupedQueryAttentionInsideSpans() throws Exception {
    // 3 spans of 7, 1 and 5 tokens; 4 query heads over 2 key/value heads of width 4
    check("attention", t -> attention(t, 4, 13, 4, 2, 4,
        Attention.Spans.of(new int[] {0, 7, 8}, new int[] {7, 1, 5}, 3)));
  }

  @Test
  void attentionOverLongSpansUsesTheStaircase() throws Exception {
    // a span of 150 queries crosses three host tiles of 64
    pathsAgree("long attention", t -> attention(t, 6, 160, 2, 1, 4,
        Attention.Spans.of(new int[] {0, 150}, new int[] {150, 10}, 2)));
  }

  @Test
  void swiGluAndGelu() throws Exception {
    check("swiglu", t -> {
      Random r = new Random(5);
      INDArray g = randn(t, r, 4, 9).muli(3);
      INDArray u = randn(t, r, 4, 9);
      Buffers buf = buffers(t);
      return new Case() {
        public Map<String, INDArray> inputs() {
          return Map.of("gate", g, "up", u);
        }

        public INDArray forward() {
          Mat y = buf.mat("y", 4, 9);
          SwiGlu.forward(Mat.of(g), Mat.of(u), y);
          return y.nd().dup();
        }

        public Map<String, INDArray> backward(INDArray rr) {
          Mat dg = buf.mat("dg", 4, 9);
          Mat du = buf.mat("du", 4, 9);
          SwiGlu.backward(Mat.of(rr.castTo(t).dup('c')), Mat.of(g), Mat.of(u), dg, du);
          return Map.of("gate", dg.nd().dup(), "up", du.nd().dup());
        }
      };
    });
    check("gelu", t -> {
      INDArray x = randn(t, new Random(6), 4, 9).muli(3);
      Buffers buf = buffers(t);
      return new Case() {
        public Map<String, INDArray> inputs() {
          return Map.of("x", x);
        }

        public INDArray forward() {
          Mat y = buf.mat("y", 4, 9);
          GeluTanh.forward(Mat.of(x), y);
          return y.nd().dup();
        }

        public Map<String, INDArray> backward(INDArray rr) {
          Mat dx = buf.mat("dx", 4, 9);
          GeluTanh.backward(Mat.of(rr.castTo(t).dup('c')), Mat.of(x), dx);
          return Map.of("x", dx.nd().dup());
        }
      };
    });
  }

  @Test
  void embeddingScattersRepeatedIdsInOrder() throws Exception {
    check("embedding", t -> {
      Random r = new Random(7);
      INDArray table = randn(t, r, 10, 6);
      INDArray positions = randn(t, r, 8, 6);
      INDArray dTable = zeros(t, 10, 6);
      INDArray dPositions = zeros(t, 8, 6);
      Embedding e = new Embedding(Mat.of(table), Mat.of(positions), Mat.of(dTable),
          Mat.of(dPositions));
      int[] ids = {3, 3, 7, 0, 3, 9};
      int[] pos = {0, 1, 2, 0, 1, 5};
      Buffers buf = buffers(t);
      return new Case() {
        public Map<String, INDArray> inputs() {
          return Map.of("tokens", table, "positions", positions);
        }

        public INDArray forward() {
          Mat x = buf.mat("x", 6, 6);
          e.forward(ids, pos, x);
          return x.nd().dup();
        }

        public Map<String, INDArray> backward(INDArray rr) {
          e.backward(Mat.of(rr.castTo(t).dup('c')), ids, pos, false);
          return Map.of("tokens", dTable, "positions", dPositions);
        }
      };
    });
  }

  @Test
  void crossEntropyFusedWithItsGradient() throws Exception {
    int[] labels = {2, 0, 4, 4};
    float[] weights = {0.25f, 0.5f, 0f, 0.25f};
    check("cross-entropy", t -> {
      INDArray logits = randn(t, new Random(8), 4, 6).muli(2);
      return new Case() {
        public Map<String, INDArray> inputs() {
          return Map.of("logits", logits);
        }

        public INDArray forward() {
          double[] losses = new double[4];
          CrossEntropy.apply(Mat.of(logits.dup('c')), labels, null, losses);
          double sum = 0;
          for (int i = 0; i < 4; i++) {
            sum += weights[i] * losses[i];
          }
          return Nd4j.scalar(t, sum).reshape(1, 1);
        }

        public Map<String, INDArray> backward(INDArray rr) {
          INDArray g = logits.dup('c');
          CrossEntropy.apply(Mat.of(g), labels, weights, new double[4]);
          return Map.of("logits", g.muli(rr.getDouble(0)));
        }
      };
    });
    // the loss of a row is log-sum-exp minus the label's logit
    INDArray logits = Nd4j.createFromArray(new float[][] {{1f, 2f, 3f}});
    double[] loss = new double[1];
    CrossEntropy.apply(Mat.of(logits), new int[] {1}, null, loss);
    assertThat(loss[0]).isCloseTo(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 2,
        org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void hostExpIsExactToTwoUlpAndPassesTheLimits() {
    float[] xs = new float[20001];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = -86f + 174f * i / (xs.length - 1);
    }
    float[] vec = xs.clone();
    Kernels.exp(vec, 0, vec.length, new float[vec.length]);
    for (int i = 0; i < xs.length; i++) {
      double e = Math.exp(xs[i]);
      assertThat(Math.abs(Kernels.exp(xs[i]) - e) / e).as("exp(%s)", xs[i]).isLessThan(3e-7);
      assertThat(vec[i]).as("exp(%s) in two passes", xs[i]).isEqualTo(Kernels.exp(xs[i]));
    }
    assertThat(Kernels.exp(-100f)).isEqualTo(0f);
    assertThat(Kernels.exp(100f)).isInfinite();
    assertThat(Kernels.exp(Float.NaN)).isNaN();
  }
}
