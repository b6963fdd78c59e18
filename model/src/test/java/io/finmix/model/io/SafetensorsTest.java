package io.finmix.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.model.io.Safetensors.DType;
import io.finmix.model.io.Safetensors.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

  @TempDir
  Path dir;

  private static Map<String, Tensor> tensors() {
    Random r = new Random(3);
    Map<String, Tensor> t = new TreeMap<>();
    float[] w = new float[6 * 4];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    t.put("model.layers.0.weight", new Tensor(new long[] {6, 4}, w));
    t.put("model.norm.weight", new Tensor(new long[] {4}, new float[] {1, -2.5f, 0, 1e-3f}));
    t.put("scalar", new Tensor(new long[] {}, new float[] {7}));
    return t;
  }

  /** A file made byte by byte: the header length, JSON, then the data. */
  private Path file(String json, byte[] data) throws Exception {
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length).put(header).put(data);
    Path f = Files.createTempFile(dir, "t-", ".safetensors");
    Files.write(f, b.array());
    return f;
  }

  @Test
  void f32RoundTripsExactlyWithMetadataAndNameOrder() {
    Path f = dir.resolve("model.safetensors");
    Safetensors.write(f, tensors(), Map.of("format", "pt"), DType.F32);
    try (Safetensors.Reader r = Safetensors.open(f)) {
      assertThat(r.metadata()).containsEntry("format", "pt");
      assertThat(r.entries()).extracting(Safetensors.Entry::name).containsExactly(
          "model.layers.0.weight", "model.norm.weight", "scalar");
      for (Map.Entry<String, Tensor> e : tensors().entrySet()) {
        Tensor t = r.read(e.getKey());
        assertThat(t.shape()).isEqualTo(e.getValue().shape());
        assertThat(t.data()).isEqualTo(e.getValue().data());
      }
      assertThatThrownBy(() -> r.read("nope")).hasMessageContaining("no tensor 'nope'");
    }
  }

  @Test
  void aTensorLargerThanOneReadChunkReadsWhole() {
    int n = Safetensors.CHUNK / 4 + 1000; // F32: two chunks; BF16: one
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = i % 251;
    }
    for (DType type : new DType[] {DType.F32, DType.BF16}) {
      Path f = dir.resolve("big-" + type + ".safetensors");
      Safetensors.write(f, Map.of("big", new Tensor(new long[] {n}, data)), Map.of(), type);
      try (Safetensors.Reader r = Safetensors.open(f)) {
        assertThat(r.read("big").data()).as(type.name()).isEqualTo(data);
      }
    }
  }

  @Test
  void readsAFileWrittenByHandInEveryFloatType() throws Exception {
    // 1.5 in F32, F16 (0x3e00), BF16 (0x3fc0) and F64
    ByteBuffer data = ByteBuffer.allocate(4 + 2 + 2 + 8).order(ByteOrder.LITTLE_ENDIAN);
    data.putFloat(1.5f).putShort((short) 0x3e00).putShort((short) 0x3fc0).putDouble(1.5);
    Path f = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[4,6]},"
        + "\"c\":{\"dtype\":\"BF16\",\"shape\":[1,1],\"data_offsets\":[6,8]},"
        + "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}", data.array());
    try (Safetensors.Reader r = Safetensors.open(f)) {
      for (String n : new String[] {"a", "b", "c", "d"}) {
        assertThat(r.read(n).data()).as(n).containsExactly(1.5f);
      }
      assertThat(r.entry("c").dtype()).isEqualTo(DType.BF16);
    }
  }

  @Test
  void halfAndBfloat16RoundToNearestEven() {
    Path f = dir.resolve("half.safetensors");
    Safetensors.write(f, tensors(), Map.of(), DType.F16);
    Path g = dir.resolve("bf16.safetensors");
    Safetensors.write(g, tensors(), Map.of(), DType.BF16);
    float[] w = tensors().get("model.layers.0.weight").data();
    try (var half = Safetensors.open(f); var bf = Safetensors.open(g)) {
      float[] h = half.read("model.layers.0.weight").data();
      float[] b = bf.read("model.layers.0.weight").data();
      for (int i = 0; i < w.length; i++) {
        assertThat(h[i]).isCloseTo(w[i], org.assertj.core.data.Percentage.withPercentage(0.05));
        assertThat(b[i]).isCloseTo(w[i], org.assertj.core.data.Percentage.withPercentage(0.4));
      }
    }
    // every half value survives float and back (NaNs to a NaN)
    for (int bits = 0; bits < 0x10000; bits++) {
      short h = (short) bits;
      float v = Safetensors.halfToFloat(h);
      if (Float.isNaN(v)) {
        assertThat(Float.isNaN(Safetensors.halfToFloat(Safetensors.floatToHalf(v)))).isTrue();
      } else {
        assertThat(Safetensors.floatToHalf(v)).as("half %04x", bits).isEqualTo(h);
      }
    }
    // ties go to even; past the largest half is infinity
    assertThat(Safetensors.halfToFloat(Safetensors.floatToHalf(1 + 0x1p-11f))).isEqualTo(1f);
    assertThat(Safetensors.halfToFloat(Safetensors.floatToHalf(1 + 3 * 0x1p-11f)))
        .isEqualTo(1 + 0x1p-9f);
    assertThat(Safetensors.halfToFloat(Safetensors.floatToHalf(70000f)))
        .isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Safetensors.bfloat16(1 + 0x1p-8f)).isEqualTo((short) 0x3f80);
    assertThat(Safetensors.bfloat16(1 + 3 * 0x1p-8f)).isEqualTo((short) 0x3f82);
  }

  @Test
  void truncatedOrLyingFilesAreClearErrorsNamingFileAndTensor() throws Exception {
    Path good = dir.resolve("good.safetensors");
    Safetensors.write(good, tensors(), Map.of(), DType.F32);
    byte[] all = Files.readAllBytes(good);
    Path truncated = dir.resolve("truncated.safetensors");
    Files.write(truncated, Arrays.copyOf(all, all.length - 10));
    assertThatThrownBy(() -> Safetensors.open(truncated)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("truncated.safetensors")
        .hasMessageContaining("truncated?");
    // a header length of 2^62: refused before any allocation
    byte[] lying = all.clone();
    ByteBuffer.wrap(lying).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 62);
    Path lie = Files.write(dir.resolve("lie.safetensors"), lying);
    assertThatThrownBy(() -> Safetensors.open(lie)).hasMessageContaining("declares a header of");
    Path tiny = Files.write(dir.resolve("tiny.safetensors"), new byte[] {1, 2});
    assertThatThrownBy(() -> Safetensors.open(tiny)).hasMessageContaining("shorter than");
    assertThatThrownBy(() -> Safetensors.open(dir.resolve("none.safetensors")))
        .hasMessageContaining("none.safetensors");

    String ok = "\"data_offsets\":[0,4]}}";
    assertThatThrownBy(() -> Safetensors.open(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
        + ok.replace("}}", "}"), new byte[4]))).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> Safetensors.open(file("{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],"
        + ok, new byte[4]))).hasMessageContaining("tensor 'w'").hasMessageContaining("Q4");
    // the shape says 2 floats, the offsets hold 1
    assertThatThrownBy(() -> Safetensors.open(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
        + ok, new byte[4]))).hasMessageContaining("tensor 'w' of F32 [2] (8 bytes) over 4");
    // a shape whose size overflows: no allocation, a message
    assertThatThrownBy(() -> Safetensors.open(file("{\"w\":{\"dtype\":\"F32\",\"shape\":"
        + "[4294967296,4294967296],\"data_offsets\":[0,4]}}", new byte[4])))
        .hasMessageContaining("tensor 'w' with shape");
    // overlapping tensors, and a hole
    assertThatThrownBy(() -> Safetensors.open(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
        + "\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":"
        + "[2,6]}}", new byte[6]))).hasMessageContaining("tensor 'b'")
        .hasMessageContaining("overlapping");
    assertThatThrownBy(() -> Safetensors.open(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
        + "\"data_offsets\":[4,8]}}", new byte[8]))).hasMessageContaining("after a hole at 0");
    assertThatThrownBy(() -> Safetensors.open(file("{\"__metadata__\":{\"n\":1},\"w\":{"
        + "\"dtype\":\"F32\",\"shape\":[1]," + ok, new byte[4])))
        .hasMessageContaining("__metadata__ key 'n'");
    // an integer tensor is listed but not read as floats
    try (var r = Safetensors.open(file("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],"
        + "\"data_offsets\":[0,8]}}", new byte[8]))) {
      assertThatThrownBy(() -> r.read("ids")).hasMessageContaining("I64");
    }
  }
}
