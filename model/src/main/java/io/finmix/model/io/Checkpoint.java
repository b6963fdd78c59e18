package io.finmix.model.io;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.io.Safetensors.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A training checkpoint: a directory holding the parameters ({@code model.safetensors}), the
 * optimizer state ({@code optimizer.safetensors}), {@code state.json} (step, model config,
 * tokenizer reference, free-form training state) and {@code manifest.json}, the SHA-256 of each
 * of those files. It is written beside its final place and renamed into it, so a reader never
 * sees half a checkpoint; loading checks every file against the manifest first. Serializable,
 * so a training state can be broadcast to Spark executors as it is.
 */
public record Checkpoint(long step, ModelConfig config, String tokenizer,
    Map<String, Tensor> parameters, Map<String, Tensor> optimizer, Map<String, String> state)
    implements java.io.Serializable {

  static final String MODEL = "model.safetensors";
  static final String OPTIMIZER = "optimizer.safetensors";
  static final String STATE = "state.json";
  static final String MANIFEST = "manifest.json";
  static final List<String> FILES = List.of(MODEL, OPTIMIZER, STATE);

  /**
   * Writes the checkpoint to {@code dir}, which must not exist yet: first to a sibling
   * temporary directory, then renamed.
   */
  public void write(Path dir) {
    if (Files.exists(dir)) {
      throw new IllegalArgumentException("checkpoint " + dir + " exists already");
    }
    try {
      Path parent = dir.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + "-");
      Safetensors.write(tmp.resolve(MODEL), parameters, Map.of("format", "finmix"),
          Safetensors.DType.F32);
      Safetensors.write(tmp.resolve(OPTIMIZER), optimizer, Map.of(), Safetensors.DType.F32);
      JsonObject s = new JsonObject();
      s.addProperty("step", step);
      s.addProperty("tokenizer", tokenizer);
      s.add("model", JsonParser.parseString(config.toJson()));
      JsonObject extra = new JsonObject();
      new TreeMap<>(state).forEach(extra::addProperty);
      s.add("state", extra);
      Files.writeString(tmp.resolve(STATE), pretty(s));
      JsonObject manifest = new JsonObject();
      for (String f : FILES) {
        manifest.addProperty(f, sha256(tmp.resolve(f)));
      }
      Files.writeString(tmp.resolve(MANIFEST), pretty(manifest));
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + dir, e);
    }
  }

  /** Reads a checkpoint after checking every file against its manifest. */
  public static Checkpoint read(Path dir) {
    verify(dir);
    JsonObject s = JsonFiles.read(dir.resolve(STATE));
    try {
      Map<String, String> state = new TreeMap<>();
      s.getAsJsonObject("state").entrySet()
          .forEach(e -> state.put(e.getKey(), e.getValue().getAsString()));
      return new Checkpoint(s.get("step").getAsLong(),
          ModelConfig.fromJson(s.get("model").toString(), dir.resolve(STATE) + ": model"),
          s.get("tokenizer").getAsString(), Safetensors.readAll(dir.resolve(MODEL)),
          Safetensors.readAll(dir.resolve(OPTIMIZER)), state);
    } catch (RuntimeException e) {
      if (e instanceof IllegalArgumentException) {
        throw e;
      }
      throw new IllegalArgumentException("checkpoint " + dir + " has a bad " + STATE + ": " + e,
          e);
    }
  }

  /**
   * Checks the files of checkpoint {@code dir} against its manifest.
   *
   * @throws IllegalArgumentException naming the checkpoint and the missing or changed file
   */
  public static void verify(Path dir) {
    Path manifestFile = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(manifestFile)) {
      throw new IllegalArgumentException("checkpoint " + dir + " has no " + MANIFEST
          + " (not a checkpoint, or an unfinished one)");
    }
    JsonObject manifest = JsonFiles.read(manifestFile);
    for (String f : FILES) {
      Path file = dir.resolve(f);
      if (!manifest.has(f)) {
        throw new IllegalArgumentException("checkpoint " + dir + ": " + MANIFEST + " lists no "
            + f);
      }
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("checkpoint " + dir + " is missing " + f);
      }
      String actual = sha256(file);
      if (!actual.equals(manifest.get(f).getAsString())) {
        throw new IllegalArgumentException("checkpoint " + dir + ": " + f + " does not match "
            + MANIFEST + " (sha256 " + actual + ", expected " + manifest.get(f).getAsString()
            + ")");
      }
    }
  }

  /** The checkpoint directories under {@code root} whose manifests hold, by step. */
  public static Map<Long, Path> valid(Path root) {
    Map<Long, Path> out = new TreeMap<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
        if (d.getFileName().toString().startsWith(".")) {
          continue; // an unfinished write
        }
        try {
          verify(d);
          out.put(JsonFiles.read(d.resolve(STATE)).get("step").getAsLong(), d);
        } catch (IllegalArgumentException | UncheckedIOException e) {
          // not a good checkpoint: skipped
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    }
    return out;
  }

  static String sha256(Path file) {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file),
        MessageDigest.getInstance("SHA-256"))) {
      byte[] buf = new byte[1 << 16];
      while (in.read(buf) >= 0) {
        // digesting
      }
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pretty(JsonObject o) {
    return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
  }
}
