package io.finmix.model.io;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.finmix.model.config.LoraConfig;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.io.Safetensors.Tensor;
import io.finmix.model.nn.Decoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A model as a Hugging Face checkpoint directory: {@code config.json} plus {@code
 * model.safetensors} (or shards listed by {@code model.safetensors.index.json}). Reads Llama,
 * Mistral, Qwen2, Qwen3, Phi-3 and GPT-2 checkpoints (tensor names and layouts by {@link
 * HfWeights}); writes a finmix model as the family its shape belongs to, adapters merged.
 */
public final class HfModel {

  static final String CONFIG = "config.json";
  static final String WEIGHTS = "model.safetensors";
  static final String INDEX = "model.safetensors.index.json";

  private HfModel() {}

  /** Writes {@code model} (adapters folded in) to {@code dir} with tensors as {@code dtype}. */
  public static void write(Decoder model, Path dir, Safetensors.DType dtype) {
    ModelConfig c = model.config();
    String config = HfConfig.write(c);
    String type = JsonParser.parseString(config).getAsJsonObject().get("model_type")
        .getAsString();
    Map<String, Tensor> tensors = HfWeights.toHf(type, c,
        NdTensors.tensors(model.mergedParameters()));
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(CONFIG), config);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(CONFIG), e);
    }
    Safetensors.write(dir.resolve(WEIGHTS), new TreeMap<>(tensors), Map.of("format", "pt"),
        dtype);
  }

  /** The model config of checkpoint {@code dir}. */
  public static ModelConfig config(Path dir) {
    return HfConfig.read(dir.resolve(CONFIG));
  }

  /**
   * The model of checkpoint {@code dir}, with fresh adapters when {@code lora} is not null
   * (seeded by {@code seed}), in {@code dtype}.
   */
  public static Decoder read(Path dir, LoraConfig lora, ModelConfig.DType dtype, long seed) {
    ModelConfig c = config(dir).withDType(dtype);
    String type = HfWeights.modelType(dir.resolve(CONFIG));
    Map<String, Tensor> hf = tensors(dir);
    Decoder model = new Decoder(c, lora, seed);
    try {
      model.setParameters(HfWeights.fromHf(type, c, hf));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
    }
    return model;
  }

  static final String ADAPTER_CONFIG = "adapter_config.json";
  static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";
  static final String PEFT_PREFIX = "base_model.model.";

  /**
   * Writes {@code model}'s adapters alone, as PEFT does ({@code adapter_config.json} and {@code
   * adapter_model.safetensors}, tensors named {@code base_model.model.<module>.lora_A.weight}),
   * so they load onto the base model with finmix or with PEFT.
   */
  public static void writeAdapters(Decoder model, Path dir, String baseModel) {
    LoraConfig lora = model.lora();
    if (lora == null) {
      throw new IllegalArgumentException("the model has no adapters to write");
    }
    JsonObject c = new JsonObject();
    c.addProperty("peft_type", "LORA");
    c.addProperty("task_type", "CAUSAL_LM");
    c.addProperty("base_model_name_or_path", baseModel);
    c.addProperty("r", lora.rank());
    c.addProperty("lora_alpha", lora.alpha());
    c.addProperty("lora_dropout", lora.dropout());
    c.addProperty("bias", "none");
    JsonArray targets = new JsonArray();
    lora.peftTargets().forEach(targets::add);
    c.add("target_modules", targets);
    Map<String, Tensor> tensors = new TreeMap<>();
    NdTensors.tensors(model.adapterParameters()).forEach((n, t) -> tensors.put(PEFT_PREFIX + n,
        t));
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(ADAPTER_CONFIG),
          new GsonBuilder().setPrettyPrinting().create().toJson(c) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(ADAPTER_CONFIG), e);
    }
    Safetensors.write(dir.resolve(ADAPTER_WEIGHTS), tensors, Map.of("format", "pt"),
        Safetensors.DType.F32);
  }

  /** The adapter config of a PEFT adapter directory. */
  public static LoraConfig adapterConfig(Path dir) {
    Path file = dir.resolve(ADAPTER_CONFIG);
    JsonObject c = JsonFiles.read(file);
    try {
      if (!"LORA".equals(c.get("peft_type").getAsString())) {
        throw new IllegalArgumentException("peft_type " + c.get("peft_type") + " is not LORA");
      }
      Set<String> targets = new TreeSet<>();
      for (JsonElement t : c.getAsJsonArray("target_modules")) {
        String module = t.getAsString();
        String target = module.endsWith("_proj") ? module.substring(0, module.length() - 5) : "";
        if (!LoraConfig.MODULES.containsKey(target)) {
          throw new IllegalArgumentException("target module '" + module + "' is not one of "
              + "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj");
        }
        targets.add(target);
      }
      return new LoraConfig(c.get("r").getAsInt(), c.get("lora_alpha").getAsDouble(),
          c.has("lora_dropout") ? c.get("lora_dropout").getAsDouble() : 0.0, targets);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** Loads the adapters of PEFT directory {@code dir} into {@code model} (same config). */
  public static void readAdapters(Path dir, Decoder model) {
    LoraConfig adapters = adapterConfig(dir);
    if (!adapters.equals(model.lora())) {
      throw new IllegalArgumentException(dir + ": adapters " + adapters.spec()
          + " differ from the model's " + (model.lora() == null ? "none" : model.lora().spec()));
    }
    Path file = dir.resolve(ADAPTER_WEIGHTS);
    Map<String, Tensor> values = new TreeMap<>();
    Safetensors.readAll(file).forEach((name, t) -> {
      if (!name.startsWith(PEFT_PREFIX)) {
        throw new IllegalArgumentException(file + ": tensor '" + name + "' is not an adapter "
            + "(no " + PEFT_PREFIX + " prefix)");
      }
      values.put(name.substring(PEFT_PREFIX.length()), t);
    });
    try {
      model.setAdapters(values);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** Every tensor of the checkpoint, from one file or its shards. */
  static Map<String, Tensor> tensors(Path dir) {
    Map<String, Path> files = new TreeMap<>();
    Path index = dir.resolve(INDEX);
    if (Files.isRegularFile(index)) {
      JsonElement map = JsonFiles.read(index).get("weight_map");
      if (map == null || !map.isJsonObject()) {
        throw new IllegalArgumentException(index + " has no weight_map object");
      }
      for (Map.Entry<String, JsonElement> e : map.getAsJsonObject().entrySet()) {
        files.put(e.getValue().getAsString(), dir.resolve(e.getValue().getAsString()));
      }
    } else if (Files.isRegularFile(dir.resolve(WEIGHTS))) {
      files.put(WEIGHTS, dir.resolve(WEIGHTS));
    } else {
      throw new IllegalArgumentException(dir + " has neither " + WEIGHTS + " nor " + INDEX);
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Path file : files.values()) {
      Safetensors.readAll(file).forEach((name, t) -> {
        if (out.put(name, t) != null) {
          throw new IllegalArgumentException(file + ": tensor '" + name
              + "' appears in two shards");
        }
      });
    }
    return out;
  }
}
