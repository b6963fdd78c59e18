package io.finmix.jobs.train;

import io.finmix.jobs.core.JavaBytes;
import io.finmix.jobs.core.WorkerModels;
import io.finmix.model.io.Checkpoint;
import io.finmix.model.io.Safetensors.Tensor;
import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import io.finmix.model.train.NonFiniteLossException;
import io.finmix.model.train.TrainConfig;
import io.finmix.model.train.Trainer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Data-parallel training by parameter averaging of finmix's {@link Decoder}: W workers
 * (one Spark partition each) start a round from the same state, each takes K local AdamW steps
 * on its own shard, and the driver averages their parameters and optimizer moments (as
 * DL4J's ParameterAveragingTrainingMaster does with {@code averageUpdaters}).
 *
 * <p>Deterministic: epoch e's order is a seeded shuffle of the training sequences; the
 * sequence of rank r goes to worker {@code r mod W} as its local row {@code r div W}, so local
 * step j of every worker reads rows {@code [j B, (j + 1) B)}. The average is summed in worker
 * order. A round started from the same state at the same step gives the same result, which is
 * what makes a resumed run take exactly the uninterrupted run's steps.
 *
 * <p>Frozen parameters (a LoRA base) are broadcast once per run; each round broadcasts only
 * the trainable parameters and their moments, and workers send back only those.
 */
final class ParameterAveraging {

  /** Where one worker's round ended: its state (trainable parameters, moments) and its steps. */
  record WorkerResult(int worker, Checkpoint state, double[] loss, double[] gradNorm,
      long[] tokens, double setupSeconds, double computeSeconds, String failure)
      implements Serializable {}

  /** A round's averaged state and per-step figures (means over workers; tokens summed). */
  record Round(Checkpoint state, double[] loss, double[] gradNorm, long[] tokens,
      double broadcastSeconds, double setupSeconds, double computeSeconds,
      double averageSeconds, double wallSeconds, String failure) {}

  /**
   * The order key of a sequence in an epoch: the shuffle hash, ties broken by index (a class:
   * Kryo cannot build records).
   */
  static final class OrderKey implements Comparable<OrderKey>, Serializable {
    private final long hash;
    private final long index;

    OrderKey(long hash, long index) {
      this.hash = hash;
      this.index = index;
    }

    @Override
    public int compareTo(OrderKey o) {
      int c = Long.compare(hash, o.hash);
      return c != 0 ? c : Long.compare(index, o.index);
    }
  }

  private final JavaSparkContext sc;
  private final String runKey;
  private final Broadcast<byte[]> frozen;
  private final int workers;
  private final boolean perExampleLoss;

  /**
   * @param runKey names this run's models in the executors' {@link WorkerModels}
   * @param frozen the parameters training never changes (empty for full fine-tuning)
   * @param perExampleLoss each batch's loss the mean over its examples (Batch#perExample)
   */
  ParameterAveraging(JavaSparkContext sc, String runKey, Map<String, Tensor> frozen,
      int workers, boolean perExampleLoss) {
    this.sc = sc;
    this.runKey = runKey;
    this.frozen = sc.broadcast(JavaBytes.of(new TreeMap<>(frozen)));
    this.workers = workers;
    this.perExampleLoss = perExampleLoss;
  }

  /**
   * Epoch {@code epoch}'s shards: one partition per worker, each holding one array, the
   * worker's sequences in local order. Persisted; the caller unpersists.
   */
  JavaRDD<PackedSequence[]> shards(JavaRDD<PackedSequence> train, long seed, int epoch) {
    int w = workers;
    JavaPairRDD<Long, PackedSequence> ranked = train
        .mapToPair(s -> new Tuple2<>(new OrderKey(PackedSequence.orderKey(seed, epoch, s.index()),
            s.index()), s))
        .sortByKey(true, w)
        .values()
        .zipWithIndex()
        .mapToPair(t -> new Tuple2<>(t._2(), t._1()));
    JavaRDD<PackedSequence[]> shards = ranked
        .mapToPair(t -> new Tuple2<>((int) (t._1() % w), new Tuple2<>(t._1() / w, t._2())))
        .partitionBy(new HashPartitioner(w))
        .mapPartitions(it -> {
          List<Tuple2<Long, PackedSequence>> rows = new ArrayList<>();
          it.forEachRemaining(t -> rows.add(t._2()));
          rows.sort((a, b) -> Long.compare(a._1(), b._1()));
          PackedSequence[] shard = rows.stream().map(Tuple2::_2).toArray(PackedSequence[]::new);
          return java.util.Collections.singletonList(shard).iterator();
        }, true)
        .persist(StorageLevel.MEMORY_AND_DISK());
    shards.count();
    return shards;
  }

  /**
   * One round: every worker resumes {@code start}, takes {@code steps} local steps from its
   * local step {@code localStep} ({@code batch} rows each), and the driver averages the results.
   */
  Round round(JavaRDD<PackedSequence[]> shards, Checkpoint start, TrainConfig cfg,
      int localStep, int steps, int batch) {
    long t0 = System.nanoTime();
    Broadcast<byte[]> state = sc.broadcast(JavaBytes.of(start));
    double broadcastSeconds = (System.nanoTime() - t0) / 1e9;
    String key = runKey;
    Broadcast<byte[]> base = frozen;
    boolean perExample = perExampleLoss;
    JavaRDD<byte[]> results = shards.mapPartitionsWithIndex((w, it) -> {
      long t = System.nanoTime();
      PackedSequence[] shard = it.next();
      Checkpoint from = JavaBytes.read(state.value());
      Map<String, Tensor> frozenParams = WorkerModels.frozen(key, base);
      double read = (System.nanoTime() - t) / 1e9;
      return List.of(JavaBytes.of(train(w, shard, from, frozenParams, cfg, localStep, steps,
          batch, perExample, key, read))).iterator();
    }, true).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      results.count();
      long t1 = System.nanoTime();
      Iterator<byte[]> bytes = results.toLocalIterator();
      Round r = average(new Iterator<>() {
        @Override
        public boolean hasNext() {
          return bytes.hasNext();
        }

        @Override
        public WorkerResult next() {
          return JavaBytes.read(bytes.next());
        }
      }, start, steps);
      double averageSeconds = (System.nanoTime() - t1) / 1e9;
      return new Round(r.state(), r.loss(), r.gradNorm(), r.tokens(), broadcastSeconds,
          r.setupSeconds(), r.computeSeconds(), averageSeconds,
          (System.nanoTime() - t0) / 1e9, r.failure());
    } finally {
      results.unpersist(false);
      state.destroy(false);
    }
  }

  /** A worker's round (runs on an executor). */
  static WorkerResult train(int worker, PackedSequence[] shard, Checkpoint start,
      Map<String, Tensor> frozen, TrainConfig cfg, int localStep, int steps, int batch,
      boolean perExample, String runKey, double readSeconds) {
    long t0 = System.nanoTime();
    if ((long) (localStep + steps) * batch > shard.length) {
      throw new IllegalStateException("worker " + worker + " holds " + shard.length
          + " sequences, too few for local steps " + localStep + ".." + (localStep + steps - 1));
    }
    Decoder model = WorkerModels.borrow(runKey, () -> newModel(start, frozen, cfg.seed()));
    try {
      Trainer trainer = Trainer.resume(start, cfg.withSeed(cfg.seed() * 1_000_003L + worker),
          model);
      double setup = readSeconds + (System.nanoTime() - t0) / 1e9;
      double[] loss = new double[steps];
      double[] norm = new double[steps];
      long[] tokens = new long[steps];
      long t1 = System.nanoTime();
      for (int j = 0; j < steps; j++) {
        int from = (localStep + j) * batch;
        Batch b = PackedSequence.batch(Arrays.asList(shard).subList(from, from + batch));
        if (perExample) {
          b = b.weightedPerExample();
        }
        Trainer.Step s;
        try {
          s = trainer.step(b);
        } catch (NonFiniteLossException e) {
          return new WorkerResult(worker, null, null, null, null, setup, 0,
              "worker " + worker + ": " + e.getMessage());
        }
        loss[j] = s.loss();
        norm[j] = s.gradNorm();
        tokens[j] = s.tokens();
      }
      double compute = (System.nanoTime() - t1) / 1e9;
      Checkpoint end = trainer.checkpoint(start.tokenizer(), start.state());
      Map<String, Tensor> trained = new TreeMap<>(end.parameters());
      trained.keySet().removeIf(frozen::containsKey);
      return new WorkerResult(worker, new Checkpoint(end.step(), end.config(), end.tokenizer(),
          trained, end.optimizer(), end.state()), loss, norm, tokens, setup, compute, null);
    } finally {
      WorkerModels.giveBack(runKey, model);
    }
  }

  /** A model of {@code like}'s config and adapters holding the frozen parameters. */
  static Decoder newModel(Checkpoint like, Map<String, Tensor> frozen, long seed) {
    Decoder model = Trainer.newModel(like, seed);
    if (!frozen.isEmpty()) {
      model.setParameters(frozen);
    }
    return model;
  }

  /** The mean of the workers' states, summed in worker order. */
  static Round average(Iterator<WorkerResult> results, Checkpoint start, int steps) {
    Map<String, float[]> params = null;
    Map<String, float[]> moments = null;
    Checkpoint first = null;
    double[] loss = new double[steps];
    double[] norm = new double[steps];
    long[] tokens = new long[steps];
    double setup = 0;
    double compute = 0;
    int n = 0;
    String failure = null;
    while (results.hasNext()) {
      WorkerResult r = results.next();
      setup = Math.max(setup, r.setupSeconds());
      compute = Math.max(compute, r.computeSeconds());
      if (r.failure() != null) {
        failure = failure == null ? r.failure() : failure;
        continue;
      }
      if (first == null) {
        first = r.state();
        params = copies(r.state().parameters());
        moments = copies(r.state().optimizer());
      } else {
        add(params, r.state().parameters());
        add(moments, r.state().optimizer());
      }
      for (int j = 0; j < steps; j++) {
        loss[j] += r.loss()[j];
        norm[j] += r.gradNorm()[j];
        tokens[j] += r.tokens()[j];
      }
      n++;
    }
    if (failure != null) {
      return new Round(null, null, null, null, 0, setup, compute, 0, 0, failure);
    }
    float scale = 1f / n;
    for (float[] a : params.values()) {
      scale(a, scale);
    }
    for (float[] a : moments.values()) {
      scale(a, scale);
    }
    for (int j = 0; j < steps; j++) {
      loss[j] /= n;
      norm[j] /= n;
    }
    Checkpoint averaged = new Checkpoint(first.step(), first.config(), first.tokenizer(),
        tensors(params, first.parameters()), tensors(moments, first.optimizer()), first.state());
    return new Round(averaged, loss, norm, tokens, 0, setup, compute, 0, 0, null);
  }

  private static Map<String, float[]> copies(Map<String, Tensor> tensors) {
    Map<String, float[]> out = new TreeMap<>();
    tensors.forEach((k, t) -> out.put(k, t.data().clone()));
    return out;
  }

  private static void add(Map<String, float[]> sum, Map<String, Tensor> more) {
    if (!sum.keySet().equals(more.keySet())) {
      throw new IllegalStateException("workers returned different tensors: " + sum.keySet()
          + " vs " + more.keySet());
    }
    sum.forEach((k, a) -> {
      float[] b = more.get(k).data();
      for (int i = 0; i < a.length; i++) {
        a[i] += b[i];
      }
    });
  }

  private static void scale(float[] a, float f) {
    for (int i = 0; i < a.length; i++) {
      a[i] *= f;
    }
  }

  private static Map<String, Tensor> tensors(Map<String, float[]> data,
      Map<String, Tensor> like) {
    Map<String, Tensor> out = new TreeMap<>();
    data.forEach((k, a) -> out.put(k, new Tensor(like.get(k).shape(), a)));
    return out;
  }

  /**
   * The validation loss of {@code state} (trainable parameters over the broadcast frozen ones):
   * the cross-entropy over every masked token of {@code validation}, in batches of {@code batch}.
   */
  double validationLoss(JavaRDD<PackedSequence> validation, Checkpoint state, TrainConfig cfg,
      int batch) {
    // the weights alone: a loss needs no optimizer moments
    Broadcast<byte[]> s = sc.broadcast(JavaBytes.of(new Checkpoint(state.step(), state.config(),
        state.tokenizer(), state.parameters(), Map.of(), state.state())));
    String key = runKey;
    Broadcast<byte[]> base = frozen;
    try {
      List<double[]> parts = validation.mapPartitions(it -> {
        List<PackedSequence> rows = new ArrayList<>();
        it.forEachRemaining(rows::add);
        double[] out = new double[2];
        if (rows.isEmpty()) {
          return List.of(out).iterator();
        }
        Checkpoint at = JavaBytes.read(s.value());
        Decoder model = WorkerModels.borrow(key, () -> newModel(at,
            WorkerModels.frozen(key, base), cfg.seed()));
        try {
          Trainer.loadWeights(at, model);
          for (int from = 0; from < rows.size(); from += batch) {
            Batch b = PackedSequence.batch(rows.subList(from, Math.min(rows.size(),
                from + batch)));
            long masked = Arrays.stream(b.lossMask()).flatMapToInt(Arrays::stream).sum();
            if (masked > 0) {
              out[0] += model.loss(b) * masked;
              out[1] += masked;
            }
          }
        } finally {
          WorkerModels.giveBack(key, model);
        }
        return List.of(out).iterator();
      }).collect();
      double sum = 0;
      double count = 0;
      for (double[] p : parts) { // in partition order: the same sum every time
        sum += p[0];
        count += p[1];
      }
      return count == 0 ? Double.NaN : sum / count;
    } finally {
      s.destroy(false);
    }
  }

  void close() {
    frozen.destroy(false);
  }
}
