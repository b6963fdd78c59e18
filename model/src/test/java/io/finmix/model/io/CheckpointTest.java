package io.finmix.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.model.config.ModelConfig;
import io.finmix.model.io.Safetensors.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

  @TempDir
  Path dir;

  private static Checkpoint checkpoint(long step) {
    ModelConfig tiny = ModelConfig.preset(Path.of("../conf/models.conf"), "tiny");
    return new Checkpoint(step, tiny, "qwen3-aeb13307",
        Map.of("embed", new Tensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, step})),
        Map.of("embed.m", new Tensor(new long[] {2, 3}, new float[] {0, 0, 0, 0, 0, 0.5f})),
        Map.of("data_order_seed", "7", "epoch", "1"));
  }

  @Test
  void roundTripsEverything() {
    Path d = dir.resolve("step-000010");
    checkpoint(10).write(d);
    Checkpoint c = Checkpoint.read(d);
    assertThat(c.step()).isEqualTo(10);
    assertThat(c.config()).isEqualTo(checkpoint(10).config());
    assertThat(c.tokenizer()).isEqualTo("qwen3-aeb13307");
    assertThat(c.parameters().get("embed").data()).containsExactly(1, 2, 3, 4, 5, 10);
    assertThat(c.parameters().get("embed").shape()).containsExactly(2, 3);
    assertThat(c.optimizer().get("embed.m").data()).containsExactly(0, 0, 0, 0, 0, 0.5f);
    assertThat(c.state()).containsEntry("data_order_seed", "7").containsEntry("epoch", "1");
    assertThatThrownBy(() -> checkpoint(11).write(d)).hasMessageContaining("exists already");
  }

  @Test
  void aChangedOrMissingFileFailsTheManifest() throws Exception {
    Path d = dir.resolve("step-000020");
    checkpoint(20).write(d);
    byte[] bytes = Files.readAllBytes(d.resolve("model.safetensors"));
    bytes[bytes.length - 1] ^= 1;
    Files.write(d.resolve("model.safetensors"), bytes);
    assertThatThrownBy(() -> Checkpoint.read(d)).hasMessageContaining(d.toString())
        .hasMessageContaining("model.safetensors does not match manifest.json");
    bytes[bytes.length - 1] ^= 1;
    Files.write(d.resolve("model.safetensors"), bytes);
    Checkpoint.verify(d);
    Files.delete(d.resolve("state.json"));
    assertThatThrownBy(() -> Checkpoint.verify(d)).hasMessageContaining("missing state.json");
    Files.delete(d.resolve("manifest.json"));
    assertThatThrownBy(() -> Checkpoint.verify(d)).hasMessageContaining("unfinished");
  }

  @Test
  void theGoodCheckpointsAreFoundByStep() throws Exception {
    Path root = dir.resolve("checkpoints");
    checkpoint(5).write(root.resolve("step-5"));
    checkpoint(15).write(root.resolve("step-15"));
    checkpoint(25).write(root.resolve("step-25"));
    Files.delete(root.resolve("step-25").resolve("manifest.json")); // interrupted
    Files.createDirectories(root.resolve(".step-30-123")); // a write in progress
    assertThat(Checkpoint.valid(root)).containsOnlyKeys(5L, 15L);
    assertThat(Checkpoint.valid(dir.resolve("none"))).isEmpty();
  }
}
