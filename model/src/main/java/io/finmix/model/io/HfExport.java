package io.finmix.model.io;

import io.finmix.model.config.ModelConfig;
import io.finmix.model.nn.Decoder;
import io.finmix.model.io.Safetensors.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model as a Hugging Face checkpoint directory: {@code config.json} and {@code
 * model.safetensors}. Llama-family models write their parameters under their own names, which
 * are Hugging Face's. (GPT-2's tensor layout, with its transposed Conv1D weights, comes with the
 * import side.)
 */
public final class HfExport {

  private HfExport() {}

  public static void write(Decoder model, Path dir, Safetensors.DType dtype) {
    ModelConfig c = model.config();
    if (c.positions() == ModelConfig.Positions.LEARNED) {
      throw new IllegalArgumentException("exporting GPT-2-shaped models is not built yet");
    }
    String config = HfConfig.write(c);
    Map<String, Tensor> tensors = new TreeMap<>();
    model.parameters().forEach((name, array) -> tensors.put(name, tensor(array)));
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("config.json"), config);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve("config.json"), e);
    }
    Safetensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"), dtype);
  }

  static Tensor tensor(INDArray a) {
    return new Tensor(a.shape(), a.castTo(DataType.FLOAT).dup('c').data().asFloat());
  }
}
