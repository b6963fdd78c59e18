package io.finmix.model.io;

import io.finmix.model.io.Safetensors.Tensor;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Conversions between ND4J arrays and {@link Tensor}s (float, row-major). */
public final class NdTensors {

  private NdTensors() {}

  public static Tensor tensor(INDArray a) {
    return new Tensor(a.shape(), a.castTo(DataType.FLOAT).dup('c').data().asFloat());
  }

  public static Map<String, Tensor> tensors(Map<String, INDArray> arrays) {
    Map<String, Tensor> out = new TreeMap<>();
    arrays.forEach((name, a) -> out.put(name, tensor(a)));
    return out;
  }

  public static INDArray array(Tensor t, DataType dt) {
    return Nd4j.create(t.data(), t.shape(), 'c').castTo(dt);
  }
}
