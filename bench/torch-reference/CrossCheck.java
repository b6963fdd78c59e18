import io.finmix.model.config.ModelConfig;
import io.finmix.model.io.HfModel;
import io.finmix.model.io.Safetensors;
import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The numerics cross-check: a finmix model exported as a Hugging Face checkpoint, its logits on
 * random packed inputs from DL4J and from the PyTorch reference, and their largest relative
 * difference. Run by bench/torch-reference/cross-check.
 */
public class CrossCheck {

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]);
    String preset = args.length > 1 ? args[1] : "tiny";
    // PRESET/2: the preset's block, two of them, over a 512-token vocabulary
    boolean shrunk = preset.endsWith("/2");
    ModelConfig p = ModelConfig.preset(Path.of("conf/models.conf"), preset.replace("/2", ""));
    ModelConfig config = !shrunk ? p : new ModelConfig(512, p.hidden(), 2, p.heads(),
        p.kvHeads(), p.headDim(), p.qkNorm(), p.biases(), p.mlpHidden(), p.norm(), p.mlp(),
        p.positions(), p.tiedEmbeddings(), p.maxSeqLen(), p.dtype(), p.ropeTheta(), p.normEps());
    Decoder model = new Decoder(config, 17);
    // norms and biases away from 1 and 0, so every parameter matters
    Random r = new Random(4);
    model.parameters().forEach((name, w) -> {
      if (name.contains("norm") || name.endsWith(".bias")) {
        w.addi(org.nd4j.linalg.factory.Nd4j.randn(w.dataType(), w.shape()).muli(0.2));
      }
    });
    HfModel.write(model, work.resolve("model"), Safetensors.DType.F32);
    List<List<int[]>> rows = new ArrayList<>();
    for (int row = 0; row < 3; row++) {
      List<int[]> examples = new ArrayList<>();
      int left = 48;
      while (left > 4) {
        int[] e = new int[Math.min(left, 5 + r.nextInt(20))];
        for (int i = 0; i < e.length; i++) {
          e[i] = r.nextInt(config.vocabSize());
        }
        examples.add(e);
        left -= e.length;
      }
      rows.add(examples);
    }
    Batch batch = Batch.ofPackedExamples(rows, 48);
    Files.writeString(work.resolve("inputs.json"), "{\"input_ids\": "
        + Arrays.deepToString(batch.ids()) + ", \"segment_ids\": "
        + Arrays.deepToString(batch.segments()) + ", \"positions\": "
        + Arrays.deepToString(batch.positions()) + "}");
    INDArray dl4j = model.logits(batch);
    Process proc = new ProcessBuilder("/usr/bin/python3", "bench/torch-reference/finmix_reference.py",
        "--model", work.resolve("model").toString(), "--inputs",
        work.resolve("inputs.json").toString(), "--out", work.resolve("logits.bin").toString())
        .inheritIO().start();
    if (proc.waitFor() != 0) {
      throw new IllegalStateException("the PyTorch reference failed");
    }
    byte[] bytes = Files.readAllBytes(work.resolve("logits.bin"));
    int newline = 0;
    while (bytes[newline] != '\n') {
      newline++;
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes, newline + 1, bytes.length - newline - 1)
        .order(ByteOrder.LITTLE_ENDIAN);
    float[] torch = new float[(int) dl4j.length()];
    buf.asFloatBuffer().get(torch);
    float[] ours = dl4j.dup('c').data().asFloat();
    double maxAbs = 0;
    double maxRef = 0;
    for (int i = 0; i < ours.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(ours[i] - torch[i]));
      maxRef = Math.max(maxRef, Math.abs(torch[i]));
    }
    double rel = maxAbs / maxRef;
    System.out.printf("%s: %d logits, max |dl4j - torch| %.3e, max |logit| %.3f, relative %.3e"
        + " -> %s%n", preset, ours.length, maxAbs, maxRef, rel, rel <= 1e-4 ? "PASS" : "FAIL");
    System.exit(rel <= 1e-4 ? 0 : 1);
  }
}
