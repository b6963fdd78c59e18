import io.finmix.model.config.ModelConfig;
import io.finmix.model.io.HfModel;
import io.finmix.model.io.Safetensors;
import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import io.finmix.model.nn.Kernels;
import io.finmix.model.train.TrainConfig;
import io.finmix.model.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The finmix half of bench/model-speed/run: a preset's Decoder, exported as a Hugging Face
 * checkpoint (so the PyTorch reference starts from the same weights), then W untimed and N
 * timed {@link Trainer#step}s on batches of B rows of T random token ids (java.util.Random(seed),
 * a fresh batch every step, as the reference draws one per step): each row one example, or
 * with {@code --packed L} examples of L tokens packed side by side (attention inside each).
 *
 * <p>One line of JSON to stdout: tokens_per_s, ms_per_step, losses, peak_rss_mb (VmHWM),
 * rss_mb_step10 and rss_mb_last (VmRSS after the 10th and the last step), and over the timed
 * steps cpu_per_wall, sys_share, minor_faults_per_step, gflops (the matrix products' floating
 * point operations per second, counted by the engine) and peak_gflops (ND4J's OpenBLAS on one
 * large product, [2048, 1024] x [1024, 1024], with OMP_NUM_THREADS threads, measured before the
 * engine starts: the machine's practical peak for this work). Progress to stderr. {@code --profile} then splits a step: a forward pass
 * alone ({@link Decoder#loss}), forward and backward ({@link Decoder#lossAndGradients}), and
 * the whole step (gradient norm, clipping and AdamW being the difference).
 *
 * <pre>java -cp model/target/classes:CP bench/model-speed/ModelSpeed.java MODEL_DIR
 *     [--preset small] [--batch 8] [--seq 256] [--packed 0] [--steps 10] [--warmup 3]
 *     [--lr 1e-3] [--seed 0] [--profile]</pre>
 */
public class ModelSpeed {

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Map<String, String> opt = new HashMap<>(Map.of("--preset", "small", "--batch", "8", "--seq",
        "256", "--steps", "10", "--warmup", "3", "--lr", "1e-3", "--seed", "0", "--packed", "0"));
    boolean profile = false;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--profile")) {
        profile = true;
      } else if (opt.containsKey(args[i]) && i + 1 < args.length) {
        opt.put(args[i], args[++i]);
      } else {
        throw new IllegalArgumentException("unknown or incomplete argument: " + args[i]);
      }
    }
    String preset = opt.get("--preset");
    int b = Integer.parseInt(opt.get("--batch"));
    int t = Integer.parseInt(opt.get("--seq"));
    int packed = Integer.parseInt(opt.get("--packed"));
    int steps = Integer.parseInt(opt.get("--steps"));
    int warmup = Integer.parseInt(opt.get("--warmup"));
    double lr = Double.parseDouble(opt.get("--lr"));
    long seed = Long.parseLong(opt.get("--seed"));

    // before the engine starts: ND4J's OpenBLAS still runs its OMP_NUM_THREADS threads
    double peak = peakGflops();
    ModelConfig config = ModelConfig.preset(Path.of("conf/models.conf"), preset);
    Decoder decoder = new Decoder(config, seed);
    System.err.printf("finmix: %s, %d parameters, batch %d, seq %d%s, OMP_NUM_THREADS=%s, "
            + "kernel threads %d, %d warm-up + %d timed steps%n", preset,
        config.parameterCount(), b, t, packed > 0 ? ", examples of " + packed + " packed" : "",
        System.getenv("OMP_NUM_THREADS"), Kernels.threads(), warmup, steps);
    HfModel.write(decoder, dir, Safetensors.DType.F32);

    Trainer trainer = new Trainer(decoder, TrainConfig.of(lr, 0, warmup + steps, seed));
    Random random = new Random(seed);
    double firstLoss = Double.NaN;
    double loss = Double.NaN;
    double rss10 = Double.NaN;
    for (int i = 0; i < warmup; i++) {
      long start = System.nanoTime();
      loss = trainer.step(batch(random, b, t, packed, config.vocabSize())).loss();
      firstLoss = i == 0 ? loss : firstLoss;
      rss10 = i + 1 == 10 ? rssMb() : rss10;
      System.err.printf("finmix warm-up step %d/%d: loss %.4f, %.0f ms%n", i + 1, warmup, loss,
          (System.nanoTime() - start) / 1e6);
    }
    int every = Math.max(1, steps / 10);
    long[] stat0 = procStat();
    long flops0 = Kernels.matmulFlops();
    long start = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      loss = trainer.step(batch(random, b, t, packed, config.vocabSize())).loss();
      firstLoss = Double.isNaN(firstLoss) ? loss : firstLoss;
      rss10 = warmup + i + 1 == 10 ? rssMb() : rss10;
      if ((i + 1) % every == 0 || i + 1 == steps) {
        System.err.printf("finmix step %d/%d: loss %.4f, %.1f ms/step%n", i + 1, steps, loss,
            (System.nanoTime() - start) / 1e6 / (i + 1));
      }
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    double gflops = (Kernels.matmulFlops() - flops0) / elapsed / 1e9;
    long[] stat1 = procStat();
    double user = (stat1[1] - stat0[1]) / 100.0;
    double sys = (stat1[2] - stat0[2]) / 100.0;
    double faults = (double) (stat1[0] - stat0[0]) / steps;
    double rssLast = rssMb();
    System.err.printf("finmix timed steps: %.1f s wall, %.1f s user + %.1f s system CPU (%.2f CPU "
        + "s per wall s), %.0f minor page faults per step; matrix products at %.1f GFLOP/s, "
        + "%.0f%% of one large product's %.1f%n", elapsed, user, sys, (user + sys) / elapsed,
        faults, gflops, 100 * gflops / peak, peak);

    double peakRss = peakRssMb(); // before profiling, which runs more passes
    if (profile) {
      profile(decoder, trainer, random, b, t, packed, config.vocabSize(), steps);
    }
    System.out.printf(Locale.ROOT, "{\"framework\": \"finmix\", \"threads\": %d, \"batch\": %d, "
            + "\"seq\": %d, \"packed\": %d, \"steps\": %d, \"tokens_per_s\": %.3f, "
            + "\"ms_per_step\": %.3f, \"first_loss\": %.6f, \"last_loss\": %.6f, "
            + "\"cpu_per_wall\": %.3f, \"sys_share\": %.3f, \"minor_faults_per_step\": %.0f, "
            + "\"gflops\": %.2f, \"peak_gflops\": %.2f, \"peak_rss_mb\": %.1f, "
            + "\"rss_mb_step10\": %.1f, \"rss_mb_last\": %.1f}%n",
        Kernels.threads(), b, t, packed, steps, (double) b * t * steps / elapsed,
        elapsed * 1000 / steps, firstLoss, loss, (user + sys) / elapsed,
        user + sys > 0 ? sys / (user + sys) : 0, faults, gflops, peak, peakRss, rss10, rssLast);
    System.out.flush();
    System.exit(0);
  }

  /**
   * B rows of T random ids; {@code packed} 0: each row one example, else examples of {@code
   * packed} tokens (the last one shorter) side by side, segments and positions per example.
   */
  static Batch batch(Random random, int rows, int seq, int packed, int vocab) {
    List<List<int[]>> out = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      List<int[]> row = new ArrayList<>();
      int step = packed > 0 ? packed : seq;
      for (int from = 0; from < seq; from += step) {
        int[] ids = new int[Math.min(step, seq - from)];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = random.nextInt(vocab);
        }
        row.add(ids);
      }
      out.add(row);
    }
    return Batch.ofPackedExamples(out, seq);
  }

  /** GFLOP/s of ND4J's BLAS on one [2048, 1024] x [1024, 1024] product, best of five. */
  static double peakGflops() {
    INDArray a = Nd4j.rand(DataType.FLOAT, 2048, 1024);
    INDArray w = Nd4j.rand(DataType.FLOAT, 1024, 1024);
    INDArray c = Nd4j.create(DataType.FLOAT, 2048, 1024);
    double best = 0;
    for (int i = 0; i < 6; i++) {
      long s = System.nanoTime();
      Nd4j.gemm(a, w, c, false, true, 1.0, 0.0);
      double gflops = 2.0 * 2048 * 1024 * 1024 / (System.nanoTime() - s);
      best = i == 0 ? best : Math.max(best, gflops);
    }
    return best;
  }

  /** Minor page faults, user and system CPU time (clock ticks, 100 a second) of this process,
   *  from /proc/self/stat. */
  static long[] procStat() throws Exception {
    String s = Files.readString(Path.of("/proc/self/stat"));
    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
    // after "pid (comm) ": state is field 3, minflt 10, utime 14, stime 15 (1-based)
    return new long[] {Long.parseLong(f[7]), Long.parseLong(f[11]), Long.parseLong(f[12])};
  }

  /** VmHWM of /proc/self/status, in MB (MiB, as ru_maxrss / 1024 on the PyTorch side). */
  static double peakRssMb() throws Exception {
    return status("VmHWM:");
  }

  static double rssMb() throws Exception {
    return status("VmRSS:");
  }

  static double status(String key) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  static void profile(Decoder decoder, Trainer trainer, Random random, int b, int t, int packed,
      int vocab, int n) {
    List<Batch> batches = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      batches.add(batch(random, b, t, packed, vocab));
    }
    long s0 = System.nanoTime();
    for (Batch batch : batches) {
      decoder.loss(batch);
    }
    long s1 = System.nanoTime();
    for (Batch batch : batches) {
      decoder.lossAndGradients(batch, 0);
    }
    long s2 = System.nanoTime();
    for (Batch batch : batches) {
      trainer.step(batch);
    }
    long s3 = System.nanoTime();
    double forward = (s1 - s0) / 1e6 / n;
    double both = (s2 - s1) / 1e6 / n;
    double step = (s3 - s2) / 1e6 / n;
    System.err.printf("%nprofile: %d more steps of each, ms per step%n", n);
    System.err.printf("  forward pass alone (Decoder.loss, nothing kept)     %8.1f%n", forward);
    System.err.printf("  forward + backward (Decoder.lossAndGradients)       %8.1f%n", both);
    System.err.printf("  whole step (Trainer.step)                           %8.1f%n", step);
    System.err.printf("    of which gradient norm, clipping, AdamW            %8.1f%n",
        step - both);
  }
}
