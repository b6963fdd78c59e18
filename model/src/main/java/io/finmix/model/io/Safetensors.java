package io.finmix.model.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors format of Hugging Face checkpoints, in plain Java: an 8-byte little-endian
 * header length, a JSON header ({@code name -> {dtype, shape, data_offsets}} and an optional
 * {@code __metadata__} of strings), then the tensors' bytes.
 *
 * <p>Reading trusts nothing: the header length must fit the file and a sane bound, the JSON must
 * parse, every dtype must be known, every tensor's byte range must match its shape and dtype,
 * lie inside the data and neither overlap another nor leave holes. A bad file is an {@link
 * IllegalArgumentException} naming the file and the tensor, before any tensor is read, never a
 * crash or an allocation sized by a lying header. F32, F16, BF16 and F64 read as floats.
 */
public final class Safetensors {

  /** Bytes read at a time. */
  static final int CHUNK = 1 << 24;

  /** Largest header accepted (the format's own reader uses 100 MB). */
  static final long MAX_HEADER = 100L << 20;

  /** Element types: their names in the header and their widths in bytes. */
  public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    final int bytes;

    DType(int bytes) {
      this.bytes = bytes;
    }
  }

  /** A tensor: shape and values (row-major); serializable, so Spark can ship it. */
  public record Tensor(long[] shape, float[] data) implements java.io.Serializable {

    public Tensor {
      long n = count(shape);
      if (n != data.length) {
        throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
            + " values, not " + data.length);
      }
    }
  }

  /** A header entry: where a tensor's bytes lie, relative to the start of the data. */
  public record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

  private Safetensors() {}

  static long count(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** An open safetensors file: its header, checked, and its tensors on demand. */
  public static final class Reader implements AutoCloseable {

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private Reader(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
        Map<String, String> metadata) {
      this.file = file;
      this.channel = channel;
      this.dataStart = dataStart;
      this.entries = entries;
      this.metadata = metadata;
    }

    /** The tensors in file order. */
    public List<Entry> entries() {
      return List.copyOf(entries.values());
    }

    public Map<String, String> metadata() {
      return metadata;
    }

    public boolean has(String name) {
      return entries.containsKey(name);
    }

    public Entry entry(String name) {
      Entry e = entries.get(name);
      if (e == null) {
        throw new IllegalArgumentException(file + " has no tensor '" + name + "'");
      }
      return e;
    }

    /** A floating-point tensor's values as floats (F32, F16, BF16, F64). */
    public Tensor read(String name) {
      Entry e = entry(name);
      if (!List.of(DType.F32, DType.F64, DType.F16, DType.BF16).contains(e.dtype())) {
        throw new IllegalArgumentException(file + ": tensor '" + name + "' is " + e.dtype()
            + ", not a floating-point type");
      }
      long n = count(e.shape());
      if (n > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(file + ": tensor '" + name + "' has " + n
            + " values, more than one Java array holds");
      }
      float[] out = new float[(int) n];
      // in chunks: a tensor's bytes may pass what one buffer holds (2 GB of F32)
      int width = e.dtype().bytes;
      ByteBuffer bytes = ByteBuffer.allocate((int) Math.min(n * width, CHUNK))
          .order(ByteOrder.LITTLE_ENDIAN);
      for (int done = 0; done < out.length; ) {
        int count = (int) Math.min(out.length - done, CHUNK / width);
        bytes.clear().limit(count * width);
        long at = dataStart + e.begin() + (long) done * width;
        try {
          while (bytes.hasRemaining()) {
            if (channel.read(bytes, at + bytes.position()) < 0) {
              throw new IllegalArgumentException(file + " ends inside tensor '" + name + "'");
            }
          }
        } catch (IOException ex) {
          throw new UncheckedIOException("cannot read tensor '" + name + "' of " + file, ex);
        }
        bytes.flip();
        decode(bytes, e, out, done, count);
        done += count;
      }
      return new Tensor(e.shape().clone(), out);
    }

    private void decode(ByteBuffer bytes, Entry e, float[] out, int from, int count) {
      switch (e.dtype()) {
        case F32 -> bytes.asFloatBuffer().get(out, from, count);
        case F64 -> {
          for (int i = from; i < from + count; i++) {
            out[i] = (float) bytes.getDouble();
          }
        }
        case F16 -> {
          for (int i = from; i < from + count; i++) {
            out[i] = halfToFloat(bytes.getShort());
          }
        }
        case BF16 -> {
          for (int i = from; i < from + count; i++) {
            out[i] = Float.intBitsToFloat((bytes.getShort() & 0xffff) << 16);
          }
        }
        default -> throw new IllegalStateException("not a float type: " + e.dtype());
      }
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Every tensor of {@code file}, in the header's order. */
  public static Map<String, Tensor> readAll(Path file) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    try (Reader r = open(file)) {
      for (Entry e : r.entries()) {
        out.put(e.name(), r.read(e.name()));
      }
    }
    return out;
  }

  /** Opens {@code file} and checks its header. */
  public static Reader open(Path file) {
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot open safetensors file " + file + ": " + e, e);
    }
    try {
      long size = channel.size();
      if (size < 8) {
        throw bad(file, "is " + size + " bytes, shorter than the 8-byte header length");
      }
      ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      channel.read(head, 0);
      long headerLength = head.getLong(0);
      if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > size - 8) {
        throw bad(file, "declares a header of " + Long.toUnsignedString(headerLength)
            + " bytes; the file has " + (size - 8) + " after the length (limit " + MAX_HEADER
            + ")");
      }
      ByteBuffer json = ByteBuffer.allocate((int) headerLength);
      while (json.hasRemaining() && channel.read(json, 8 + json.position()) > 0) {
        // read it all
      }
      String text = new String(json.array(), StandardCharsets.UTF_8);
      JsonObject root;
      try {
        root = JsonParser.parseString(text).getAsJsonObject();
      } catch (RuntimeException e) {
        throw bad(file, "has a header that is not a JSON object: " + e.getMessage());
      }
      long dataStart = 8 + headerLength;
      Map<String, String> metadata = new TreeMap<>();
      List<Entry> entries = new ArrayList<>();
      for (Map.Entry<String, JsonElement> e : root.entrySet()) {
        if (e.getKey().equals("__metadata__")) {
          if (!e.getValue().isJsonObject()) {
            throw bad(file, "has a __metadata__ that is not an object");
          }
          for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) {
            if (!m.getValue().isJsonPrimitive() || !m.getValue().getAsJsonPrimitive().isString()) {
              throw bad(file, "has __metadata__ key '" + m.getKey() + "' whose value is not a "
                  + "string");
            }
            metadata.put(m.getKey(), m.getValue().getAsString());
          }
        } else {
          entries.add(entry(file, e.getKey(), e.getValue()));
        }
      }
      checkLayout(file, entries, size - dataStart);
      Map<String, Entry> byName = new LinkedHashMap<>();
      entries.stream().sorted(Comparator.comparingLong(Entry::begin))
          .forEach(x -> byName.put(x.name(), x));
      return new Reader(file, channel, dataStart, Collections.unmodifiableMap(byName),
          Collections.unmodifiableMap(metadata));
    } catch (IOException e) {
      closeQuietly(channel);
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private static Entry entry(Path file, String name, JsonElement value) {
    String where = "tensor '" + name + "'";
    if (!value.isJsonObject()) {
      throw bad(file, "has " + where + " that is not an object");
    }
    JsonObject o = value.getAsJsonObject();
    DType dtype;
    try {
      dtype = DType.valueOf(o.get("dtype").getAsString());
    } catch (RuntimeException e) {
      throw bad(file, "has " + where + " with unknown dtype " + o.get("dtype"));
    }
    long[] shape;
    long[] offsets;
    try {
      shape = longs(o.getAsJsonArray("shape"));
      offsets = longs(o.getAsJsonArray("data_offsets"));
    } catch (RuntimeException e) {
      throw bad(file, "has " + where + " without an integer shape and data_offsets");
    }
    if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < offsets[0]) {
      throw bad(file, "has " + where + " with data_offsets " + Arrays.toString(offsets));
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(count(shape), dtype.bytes);
    } catch (ArithmeticException | IllegalArgumentException e) {
      throw bad(file, "has " + where + " with shape " + Arrays.toString(shape));
    }
    if (bytes != offsets[1] - offsets[0]) {
      throw bad(file, "has " + where + " of " + dtype + " " + Arrays.toString(shape) + " ("
          + bytes + " bytes) over " + (offsets[1] - offsets[0]) + " bytes of data");
    }
    return new Entry(name, dtype, shape, offsets[0], offsets[1]);
  }

  private static long[] longs(JsonArray a) {
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsJsonPrimitive().getAsBigDecimal().longValueExact();
    }
    return out;
  }

  /** The tensors' byte ranges tile the data exactly: no overlap, no hole, nothing past it. */
  private static void checkLayout(Path file, List<Entry> entries, long dataBytes) {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long at = 0;
    for (Entry e : sorted) {
      if (e.begin() != at) {
        throw bad(file, "has tensor '" + e.name() + "' at byte " + e.begin() + " of the data "
            + (e.begin() < at ? "overlapping the tensor before it" : "after a hole at " + at));
      }
      at = e.end();
    }
    if (at != dataBytes) {
      throw bad(file, "holds " + dataBytes + " bytes of data but its tensors cover " + at
          + (at > dataBytes ? " (truncated?)" : ""));
    }
  }

  private static IllegalArgumentException bad(Path file, String what) {
    return new IllegalArgumentException("safetensors file " + file + " " + what);
  }

  private static void closeQuietly(FileChannel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // the open failed already
    }
  }

  /**
   * Writes {@code tensors} (in name order) as {@code dtype} (F32, F16 or BF16, rounding to
   * nearest even), with {@code metadata}; written to a temporary file and moved into place.
   */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata,
      DType dtype) {
    if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
      throw new IllegalArgumentException("safetensors: writes F32, F16 or BF16, not " + dtype);
    }
    JsonObject header = new JsonObject();
    if (!metadata.isEmpty()) {
      JsonObject m = new JsonObject();
      new TreeMap<>(metadata).forEach(m::addProperty);
      header.add("__metadata__", m);
    }
    long offset = 0;
    List<String> names = new ArrayList<>(new TreeMap<>(tensors).keySet());
    for (String name : names) {
      Tensor t = tensors.get(name);
      JsonObject o = new JsonObject();
      o.addProperty("dtype", dtype.name());
      JsonArray shape = new JsonArray();
      for (long d : t.shape()) {
        shape.add(d);
      }
      o.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offset += (long) t.data().length * dtype.bytes;
      offsets.add(offset);
      o.add("data_offsets", offsets);
      header.add(name, o);
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8; // the data starts 8-byte aligned
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".safetensors-", ".tmp");
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
          head.put((byte) ' ');
        }
        head.flip();
        writeFully(out, head);
        ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (String name : names) {
          for (float v : tensors.get(name).data()) {
            if (buf.remaining() < 4) {
              buf.flip();
              writeFully(out, buf);
              buf.clear();
            }
            switch (dtype) {
              case F32 -> buf.putFloat(v);
              case F16 -> buf.putShort(floatToHalf(v));
              default -> buf.putShort(bfloat16(v));
            }
          }
        }
        buf.flip();
        writeFully(out, buf);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      out.write(b);
    }
  }

  /** IEEE half to float (exact). */
  static float halfToFloat(short h) {
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) { // infinity or NaN
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) { // zero or subnormal: mant * 2^-24
      float f = mant * 0x1p-24f;
      return sign == 0 ? f : -f;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** float to IEEE half, rounding to nearest even; overflow to infinity. */
  static short floatToHalf(float v) {
    int bits = Float.floatToRawIntBits(v);
    int sign = (bits >>> 16) & 0x8000;
    float a = Math.abs(v);
    if (Float.isNaN(v)) {
      return (short) (sign | 0x7e00);
    }
    if (a >= 65520f) { // rounds past the largest half (65504)
      return (short) (sign | 0x7c00);
    }
    if (a < 0x1p-14f) { // subnormal half: a multiple of 2^-24, rounded to nearest even
      return (short) (sign | (int) Math.rint(a * 0x1p24f));
    }
    int abs = bits & 0x7fffffff;
    int rounded = abs + 0xfff + ((abs >>> 13) & 1);
    return (short) (sign | ((rounded >>> 13) - (112 << 10)));
  }

  /** float to bfloat16, rounding to nearest even (NaN stays NaN). */
  static short bfloat16(float v) {
    int bits = Float.floatToRawIntBits(v);
    if (Float.isNaN(v)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }
}
