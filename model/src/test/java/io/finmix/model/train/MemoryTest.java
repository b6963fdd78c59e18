package io.finmix.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.model.config.ModelConfig;
import io.finmix.model.nn.Decoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Training allocates its memory once: the process's resident memory after step 100 is within
 * 10% of what it was after step 10, and the model's buffers do not grow (the SameDiff engine
 * this replaced touched 0.5 to 3 GB of fresh pages a step).
 */
class MemoryTest {

  /**
   * VmRSS after handing freed malloc memory back to the system (JavaCPP's malloc_trim), so
   * what the JIT compiler freed between two readings does not count.
   */
  static long residentKb() throws Exception {
    java.lang.reflect.Method trim = org.bytedeco.javacpp.Pointer.class
        .getDeclaredMethod("trimMemory");
    trim.setAccessible(true);
    trim.invoke(null);
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  @Test
  void residentMemoryDoesNotGrowWithSteps() throws Exception {
    ModelConfig mini = ModelConfig.preset(Path.of("../conf/models.conf"), "mini");
    Decoder model = new Decoder(mini, 1);
    Trainer t = new Trainer(model, TrainConfig.of(1e-3, 5, 100, 1));
    Random r = new Random(1);
    for (int i = 0; i < 10; i++) {
      t.step(Progressions.batch(r, 4, 128, 40));
    }
    long afterTen = residentKb();
    long buffers = model.bufferBytes();
    for (int i = 10; i < 100; i++) {
      t.step(Progressions.batch(r, 4, 128, 40));
    }
    long afterHundred = residentKb();
    assertThat(model.bufferBytes()).isEqualTo(buffers);
    assertThat((double) afterHundred).as("VmRSS after step 100 (kB) against step 10 (%d kB)",
        afterTen).isLessThanOrEqualTo(afterTen * 1.10);
    System.out.printf("MemoryTest: VmRSS %d kB after step 10, %d kB after step 100; model "
        + "buffers %d kB%n", afterTen, afterHundred, buffers / 1024);
  }
}
