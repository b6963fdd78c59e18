package io.finmix.model.nn;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.io.HfModel;
import io.finmix.model.io.HfWeights;
import io.finmix.model.io.Safetensors;
import io.finmix.model.io.Safetensors.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Whole-model logits, loss and gradients against the PyTorch reference
 * (bench/torch-reference/finmix_reference.py, computing in double), for every preset family:
 * {@code tiny}, {@code small}, and the cluster shapes' blocks twice over a 512-token vocabulary
 * ({@code qwen3-0.6b/2}: GQA, query/key norms, head width 128; {@code gpt2-small/2}: LayerNorm,
 * GELU, learned positions, biases; {@code llama-200m/2}). The reference's numbers are kept in
 * {@code src/test/resources/torch-reference/} (sampled: a few thousand logits and some values of
 * every gradient, with each tensor's largest magnitude), so the test needs no Python; run with
 * {@code -Dfinmix.torch.golden=write} (and Debian's python3-torch) to compute them again.
 *
 * <p>Weights and batch come from seeded {@link Random}s here, not from the model's initialiser,
 * so the files stay right whatever the initialiser does. Both kernel paths are held to them.
 */
class TorchReferenceTest {

  static final double TOLERANCE = 1e-4;

  /** {@code PRESET/2}: the preset's block twice over a 512-token vocabulary. */
  static ModelConfig config(String preset) {
    boolean shrunk = preset.endsWith("/2");
    ModelConfig p = ModelConfig.preset(Path.of("../conf/models.conf"), preset.replace("/2", ""));
    return !shrunk ? p : new ModelConfig(512, p.hidden(), 2, p.heads(), p.kvHeads(),
        p.headDim(), p.qkNorm(), p.biases(), p.mlpHidden(), p.norm(), p.mlp(), p.positions(),
        p.tiedEmbeddings(), p.maxSeqLen(), p.dtype(), p.ropeTheta(), p.normEps());
  }

  /** The model with weights drawn here: matrices N(0, 0.05), norms 1 + N(0, 0.2), biases N(0, 0.2). */
  static Decoder model(ModelConfig c) {
    Decoder d = new Decoder(c, 1);
    Map<String, Tensor> values = new TreeMap<>();
    d.parameters().forEach((name, p) -> {
      Random r = new Random(name.hashCode() * 31L + c.hidden());
      float[] x = new float[(int) p.length()];
      boolean norm = p.rank() == 1 && !name.endsWith(".bias");
      double std = p.rank() == 1 ? 0.2 : 0.05;
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) ((norm ? 1 : 0) + r.nextGaussian() * std);
      }
      values.put(name, new Tensor(p.shape(), x));
    });
    d.setParameters(values);
    return d;
  }

  /** Three rows of 48 tokens, examples of 5 to 24 tokens packed, a little padding. */
  static Batch batch(ModelConfig c) {
    Random r = new Random(4);
    List<List<int[]>> rows = new ArrayList<>();
    for (int row = 0; row < 3; row++) {
      List<int[]> examples = new ArrayList<>();
      int left = 48;
      while (left > 4) {
        int[] e = r.ints(Math.min(left, 5 + r.nextInt(20)), 0, c.vocabSize()).toArray();
        examples.add(e);
        left -= e.length;
      }
      rows.add(examples);
    }
    return Batch.ofPackedExamples(rows, 48);
  }

  static String file(String preset) {
    return preset.replace("/", "-half") + ".json";
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny", "small", "qwen3-0.6b/2", "gpt2-small/2", "llama-200m/2"})
  void logitsLossAndGradientsMatchPyTorch(String preset) throws Exception {
    if ("write".equals(System.getProperty("finmix.torch.golden"))) {
      write(preset);
    }
    JsonObject golden;
    try (InputStream in = getClass().getResourceAsStream("/torch-reference/" + file(preset))) {
      assertThat(in).as("golden file torch-reference/%s", file(preset)).isNotNull();
      golden = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
          .getAsJsonObject();
    }
    ModelConfig c = config(preset);
    Decoder d = model(c);
    Batch batch = batch(c);
    for (boolean nd4j : new boolean[] {false, true}) {
      try (AutoCloseable path = nd4j ? Kernels.nd4jPath() : () -> { }) {
        String what = preset + (nd4j ? " (ND4J path)" : " (host path)");
        compare(what + " logits", d.logits(batch), golden.getAsJsonObject("logits"), 0);
        Decoder.Gradients g = d.lossAndGradients(batch, 0);
        double loss = golden.get("loss").getAsDouble();
        assertThat(Math.abs(g.loss() - loss) / loss).as(what + " loss").isLessThan(TOLERANCE);
        JsonObject grads = golden.getAsJsonObject("gradients");
        assertThat(g.byName().keySet()).isEqualTo(grads.keySet());
        // a gradient that is zero in exact arithmetic (the key bias's: softmax ignores a shift
        // shared by a query's scores) is held to the scale of the model's gradients instead
        double floor = 0;
        for (String name : grads.keySet()) {
          floor = Math.max(floor, grads.getAsJsonObject(name).get("max_abs").getAsDouble());
        }
        for (String name : grads.keySet()) {
          compare(what + " gradient " + name, g.byName().get(name), grads.getAsJsonObject(name),
              floor * 1e-3);
        }
      }
    }
  }

  /**
   * The sampled values within {@link #TOLERANCE} of the reference tensor's largest value (or of
   * {@code floor}, if larger).
   */
  static void compare(String what, INDArray ours, JsonObject ref, double floor) {
    float[] flat = ours.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data()
        .asFloat();
    double scale = Math.max(floor, ref.get("max_abs").getAsDouble());
    JsonArray index = ref.getAsJsonArray("index");
    JsonArray value = ref.getAsJsonArray("value");
    assertThat(flat.length).as(what + " size").isEqualTo(ref.get("size").getAsInt());
    double worst = 0;
    for (int i = 0; i < index.size(); i++) {
      double diff = Math.abs(flat[index.get(i).getAsInt()] - value.get(i).getAsDouble());
      worst = Math.max(worst, diff);
    }
    assertThat(worst / Math.max(scale, 1e-12)).as("%s: largest difference %s, largest value %s",
        what, worst, scale).isLessThanOrEqualTo(TOLERANCE);
  }

  /** Computes the reference's numbers with PyTorch and writes the golden file. */
  void write(String preset) throws IOException, InterruptedException {
    ModelConfig c = config(preset);
    Decoder d = model(c);
    Batch batch = batch(c);
    Path work = Files.createTempDirectory("torch-reference");
    HfModel.write(d, work.resolve("model"), Safetensors.DType.F32);
    Files.writeString(work.resolve("inputs.json"), "{\"input_ids\": "
        + Arrays.deepToString(batch.ids()) + ", \"segment_ids\": "
        + Arrays.deepToString(batch.segments()) + ", \"positions\": "
        + Arrays.deepToString(batch.positions()) + ", \"labels\": "
        + Arrays.deepToString(batch.labels()) + ", \"loss_mask\": "
        + Arrays.deepToString(batch.lossMask()) + "}");
    Process proc = new ProcessBuilder("/usr/bin/python3",
        "../bench/torch-reference/finmix_reference.py", "--model",
        work.resolve("model").toString(), "--inputs", work.resolve("inputs.json").toString(),
        "--out", work.resolve("logits.bin").toString(), "--grads",
        work.resolve("grads.safetensors").toString(), "--float64")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (proc.waitFor() != 0) {
      throw new IllegalStateException("the PyTorch reference failed for " + preset);
    }
    double loss = JsonParser.parseString(out.strip()).getAsJsonObject().get("loss")
        .getAsDouble();
    byte[] bytes = Files.readAllBytes(work.resolve("logits.bin"));
    int newline = 0;
    while (bytes[newline] != '\n') {
      newline++;
    }
    float[] logits = new float[(bytes.length - newline - 1) / 4];
    ByteBuffer.wrap(bytes, newline + 1, bytes.length - newline - 1)
        .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(logits);
    String type = HfWeights.modelType(work.resolve("model").resolve("config.json"));
    Map<String, Tensor> grads = HfWeights.fromHf(type, c,
        Safetensors.readAll(work.resolve("grads.safetensors")));
    JsonObject golden = new JsonObject();
    golden.addProperty("preset", preset);
    golden.addProperty("reference", "bench/torch-reference/finmix_reference.py --float64");
    golden.addProperty("loss", loss);
    golden.add("logits", sample(logits, 2000, new Random(1)));
    JsonObject g = new JsonObject();
    Random r = new Random(2);
    for (Map.Entry<String, Tensor> e : new TreeMap<>(grads).entrySet()) {
      g.add(e.getKey(), sample(e.getValue().data(), 40, r));
    }
    golden.add("gradients", g);
    Path dir = Path.of("src/test/resources/torch-reference");
    Files.createDirectories(dir);
    Gson gson = new GsonBuilder().create();
    Files.writeString(dir.resolve(file(preset)), gson.toJson(golden) + "\n");
    // the resource the test reads is the one just written
    Path target = Path.of("target/test-classes/torch-reference");
    Files.createDirectories(target);
    Files.copy(dir.resolve(file(preset)), target.resolve(file(preset)),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /** {@code n} values at random places (and the largest), with the size and largest magnitude. */
  static JsonObject sample(float[] x, int n, Random r) {
    JsonObject o = new JsonObject();
    int largest = 0;
    for (int i = 1; i < x.length; i++) {
      largest = Math.abs(x[i]) > Math.abs(x[largest]) ? i : largest;
    }
    o.addProperty("size", x.length);
    o.addProperty("max_abs", Math.abs(x[largest]));
    JsonArray index = new JsonArray();
    JsonArray value = new JsonArray();
    int[] at = x.length <= n ? java.util.stream.IntStream.range(0, x.length).toArray()
        : java.util.stream.IntStream.concat(java.util.stream.IntStream.of(largest),
            r.ints(n - 1, 0, x.length)).toArray();
    for (int i : at) {
      index.add(i);
      value.add(x[i]);
    }
    o.add("index", index);
    o.add("value", value);
    return o;
  }

  static {
    Nd4j.getRandom(); // backend first, so the test's logs stay quiet in order
  }
}
