import io.finmix.model.config.ModelConfig;
import io.finmix.model.io.HfModel;
import io.finmix.model.io.Safetensors;
import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import io.finmix.model.train.TrainConfig;
import io.finmix.model.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The DL4J half of bench/model-speed/run: a preset's Decoder, exported as a Hugging Face
 * checkpoint (so the PyTorch reference starts from the same weights), then W untimed and N
 * timed {@link Trainer#step}s on batches of B rows, each row one example of T random token ids
 * (java.util.Random(seed), a fresh batch every step, as the reference draws one per step).
 * One line of JSON to stdout, the last (SameDiff prints lines of its own there): tokens_per_s,
 * ms_per_step, losses, peak_rss_mb (VmHWM), and over the timed steps cpu_per_wall (process CPU
 * seconds per wall second), sys_share (the kernel's part of that CPU time) and
 * minor_faults_per_step (pages touched for the first time); progress to stderr.
 *
 * <p>--profile then times a forward pass alone ({@link Decoder#loss}) N times, and N more
 * steps with a SameDiff listener on the decoder's graph (reached by reflection: a bench, not
 * an API): each step split into the host work before the graph (the feed), the graph (forward
 * and backward ops, and the time between them) and the host work after it (the embedding
 * gradient, gradient norm, clipping, AdamW); the ops grouped by name and by name with input
 * shapes, forward and backward apart.
 *
 * <pre>java -cp model/target/classes:CP bench/model-speed/ModelSpeed.java MODEL_DIR
 *     [--preset small] [--batch 8] [--seq 256] [--steps 10] [--warmup 3] [--lr 1e-3]
 *     [--seed 0] [--profile]</pre>
 */
public class ModelSpeed {

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Map<String, String> opt = new HashMap<>(Map.of("--preset", "small", "--batch", "8", "--seq",
        "256", "--steps", "10", "--warmup", "3", "--lr", "1e-3", "--seed", "0"));
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
    int steps = Integer.parseInt(opt.get("--steps"));
    int warmup = Integer.parseInt(opt.get("--warmup"));
    double lr = Double.parseDouble(opt.get("--lr"));
    long seed = Long.parseLong(opt.get("--seed"));

    ModelConfig config = ModelConfig.preset(Path.of("conf/models.conf"), preset);
    Decoder decoder = new Decoder(config, seed);
    int nd4jThreads = Nd4j.getEnvironment().maxThreads();
    int blasThreads = Nd4j.factory().blas().getMaxThreads();
    System.err.printf("dl4j: %s, %d parameters, batch %d, seq %d, OMP_NUM_THREADS=%s, ND4J "
            + "threads %d, BLAS %s threads %d, %d warm-up + %d timed steps%n", preset,
        config.parameterCount(), b, t, System.getenv("OMP_NUM_THREADS"), nd4jThreads,
        Nd4j.factory().blas().getBlasVendor(), blasThreads, warmup, steps);
    HfModel.write(decoder, dir, Safetensors.DType.F32);

    Trainer trainer = new Trainer(decoder, TrainConfig.of(lr, 0, warmup + steps, seed));
    Random random = new Random(seed);
    double firstLoss = Double.NaN;
    double loss = Double.NaN;
    for (int i = 0; i < warmup; i++) {
      long start = System.nanoTime();
      loss = trainer.step(batch(random, b, t, config.vocabSize())).loss();
      firstLoss = i == 0 ? loss : firstLoss;
      System.err.printf("dl4j warm-up step %d/%d: loss %.4f, %.0f ms%n", i + 1, warmup, loss,
          (System.nanoTime() - start) / 1e6);
    }
    int every = Math.max(1, steps / 10);
    long[] stat0 = procStat();
    long start = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      loss = trainer.step(batch(random, b, t, config.vocabSize())).loss();
      firstLoss = Double.isNaN(firstLoss) ? loss : firstLoss;
      if ((i + 1) % every == 0 || i + 1 == steps) {
        System.err.printf("dl4j step %d/%d: loss %.4f, %.1f ms/step%n", i + 1, steps, loss,
            (System.nanoTime() - start) / 1e6 / (i + 1));
      }
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long[] stat1 = procStat();
    double user = (stat1[1] - stat0[1]) / 100.0;
    double sys = (stat1[2] - stat0[2]) / 100.0;
    double faults = (double) (stat1[0] - stat0[0]) / steps;
    System.err.printf("dl4j timed steps: %.1f s wall, %.1f s user + %.1f s system CPU (%.2f CPU s"
        + " per wall s), %.0f minor page faults per step (%.0f MB of fresh pages)%n", elapsed,
        user, sys, (user + sys) / elapsed, faults, faults * 4096 / 1e6);

    double peakRss = peakRssMb();  // before profiling, which runs more passes
    if (profile) {
      profile(decoder, trainer, random, b, t, config.vocabSize(), steps);
    }
    System.out.printf(Locale.ROOT, "{\"framework\": \"dl4j\", \"nd4j_threads\": %d, "
            + "\"blas_threads\": %d, \"batch\": %d, \"seq\": %d, \"steps\": %d, "
            + "\"tokens_per_s\": %.3f, \"ms_per_step\": %.3f, \"first_loss\": %.6f, "
            + "\"last_loss\": %.6f, \"cpu_per_wall\": %.3f, \"sys_share\": %.3f, "
            + "\"minor_faults_per_step\": %.0f, \"peak_rss_mb\": %.1f}%n",
        nd4jThreads, blasThreads, b, t, steps, (double) b * t * steps / elapsed,
        elapsed * 1000 / steps, firstLoss, loss, (user + sys) / elapsed,
        user + sys > 0 ? sys / (user + sys) : 0, faults, peakRss);
    System.out.flush();
    // ND4J's native threads may keep the JVM alive otherwise
    System.exit(0);
  }

  /** B rows, each one example of T random ids: labels are the next id, positions 0..T-1. */
  static Batch batch(Random random, int rows, int seq, int vocab) {
    List<List<int[]>> out = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      int[] ids = new int[seq];
      for (int i = 0; i < seq; i++) {
        ids[i] = random.nextInt(vocab);
      }
      out.add(List.of(ids));
    }
    return Batch.ofPackedExamples(out, seq);
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
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  static void profile(Decoder decoder, Trainer trainer, Random random, int b, int t, int vocab,
      int n) throws Exception {
    List<Batch> batches = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      batches.add(batch(random, b, t, vocab));
    }
    long s0 = System.nanoTime();
    for (Batch batch : batches) {
      decoder.loss(batch);
    }
    double forwardAlone = (System.nanoTime() - s0) / 1e6 / n;

    // N more steps with a listener on the decoder's graph (the gradient function inherits it):
    // each op's wall time, and when the graph starts and ends within Trainer.step
    java.lang.reflect.Field f = Decoder.class.getDeclaredField("sd");
    f.setAccessible(true);
    SameDiff sd = (SameDiff) f.get(decoder);
    OpTimer timer = new OpTimer(Set.copyOf(sd.getOps().keySet()));
    sd.addListeners(timer);
    double step = 0;
    double before = 0;
    double after = 0;
    for (Batch batch : batches) {
      long begin = System.nanoTime();
      trainer.step(batch);
      long end = System.nanoTime();
      step += (end - begin) / 1e6;
      before += (timer.graphStart - begin) / 1e6;
      after += (end - timer.graphEnd) / 1e6;
    }
    sd.getListeners().remove(timer);
    step /= n;
    before /= n;
    after /= n;
    double graph = step - before - after;
    double inOps = timer.total(null) / n;
    double fwd = timer.total("fwd") / n;
    System.err.printf("%nprofile: %d more steps, ms per step (%% of the step)%n", n);
    System.err.printf("  whole step (Trainer.step)                         %8.1f%n", step);
    System.err.printf("    before the graph: feed (embedding rows, masks)  %8.1f  %5.1f%%%n",
        before, 100 * before / step);
    System.err.printf("    graph, forward + backward (SameDiff)            %8.1f  %5.1f%%%n",
        graph, 100 * graph / step);
    System.err.printf("      in forward ops                                %8.1f  %5.1f%%%n",
        fwd, 100 * fwd / step);
    System.err.printf("      in backward ops                               %8.1f  %5.1f%%%n",
        inOps - fwd, 100 * (inOps - fwd) / step);
    System.err.printf("      between ops (bookkeeping, output allocation)  %8.1f  %5.1f%%%n",
        graph - inOps, 100 * (graph - inOps) / step);
    System.err.printf("    after the graph: embedding gradient sum, gradient norm, clipping,"
        + " AdamW %8.1f  %5.1f%%%n", after, 100 * after / step);
    System.err.printf("  for comparison, a forward pass alone (Decoder.loss, no listener) %.1f%n",
        forwardAlone);
    timer.table("ops by name", timer.byOp, step, n, 25);
    timer.table("ops by name and input shapes (summed over layers)", timer.byShape, step, n, 25);
  }

  /** Wall time of each op the graph executes, keyed by op and by op with input shapes, forward
   *  (ops of the forward graph) and backward (ops only the gradient function has) apart; and
   *  when the last graph execution started and ended. */
  static final class OpTimer extends BaseListener {
    private final Set<String> forwardOps;
    final Map<String, double[]> byOp = new HashMap<>();
    final Map<String, double[]> byShape = new HashMap<>();
    private long began;
    long graphStart;
    long graphEnd;

    OpTimer(Set<String> forwardOps) {
      this.forwardOps = forwardOps;
    }

    @Override
    public boolean isActive(Operation operation) {
      return true;
    }

    @Override
    public void operationStart(SameDiff sd, Operation op) {
      graphStart = System.nanoTime();
    }

    @Override
    public void operationEnd(SameDiff sd, Operation op) {
      graphEnd = System.nanoTime();
    }

    @Override
    public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext ctx) {
      began = System.nanoTime();
    }

    @Override
    public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op,
        OpContext ctx, INDArray[] outputs) {
      double ms = (System.nanoTime() - began) / 1e6;
      String pass = forwardOps.contains(op.getName()) ? "fwd" : "bwd";
      String name = op.getOp().opName();
      add(byOp, pass + " " + name, ms);
      String shapes = ctx == null || ctx.getInputArrays() == null ? "?"
          : ctx.getInputArrays().stream().map(a -> a == null ? "null"
              : Arrays.toString(a.shape()).replace(" ", "")).collect(Collectors.joining(" "));
      add(byShape, pass + " " + name + " " + shapes, ms);
    }

    /** Milliseconds in ops whose key starts with {@code pass} (null: all). */
    double total(String pass) {
      return byOp.entrySet().stream().filter(e -> pass == null || e.getKey().startsWith(pass))
          .mapToDouble(e -> e.getValue()[0]).sum();
    }

    private static void add(Map<String, double[]> m, String key, double ms) {
      double[] v = m.computeIfAbsent(key, k -> new double[2]);
      v[0] += ms;
      v[1]++;
    }

    void table(String title, Map<String, double[]> m, double stepMs, int n, int top) {
      System.err.printf("%n  %-84s %9s %6s %6s%n", title, "ms/step", "%", "calls");
      m.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[0], x.getValue()[0]))
          .limit(top).forEach(e -> System.err.printf("  %-84s %9.2f %5.1f%% %6.0f%n",
              e.getKey().length() > 84 ? e.getKey().substring(0, 84) : e.getKey(),
              e.getValue()[0] / n, 100 * e.getValue()[0] / n / stepMs, e.getValue()[1] / n));
    }
  }
}
