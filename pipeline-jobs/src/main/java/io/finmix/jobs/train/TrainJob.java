package io.finmix.jobs.train;

import static io.finmix.jobs.train.RunStatus.FAILED;
import static io.finmix.jobs.train.RunStatus.FINISHED;
import static io.finmix.jobs.train.RunStatus.RUNNING;
import static org.apache.spark.sql.functions.col;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.ConfFiles;
import io.finmix.jobs.core.ConfigKey;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.StageResult;
import io.finmix.jobs.core.Steps;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.tokens.ExampleEncoders;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.io.Checkpoint;
import io.finmix.model.io.HfModel;
import io.finmix.model.io.Safetensors.Tensor;
import io.finmix.model.io.Safetensors;
import io.finmix.model.nn.Decoder;
import io.finmix.model.tokenizer.ExampleEncoder;
import io.finmix.model.train.TrainConfig;
import io.finmix.model.train.Trainer;
import io.finmix.schemas.TableSchemas;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import scala.Tuple2;

/**
 * The train stage: fine-tunes a model of the {@code model} module on one recipe's {@code
 * finmix.train.sequences}, data-parallel on Spark executors by {@link ParameterAveraging}, with
 * checkpoints on the driver, {@code --resume}, and the run's row in {@code finmix.train.runs}
 * and its steps in {@code finmix.train.metrics}.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
        "Fine-tunes a model on a recipe's packed sequences (finmix.train.sequences) on Spark "
            + "executors: parameter averaging over data-parallel workers.",
        "Output: checkpoints and training-stats.html under <train.output_dir>/<train run>, "
            + "finmix.train.runs and finmix.train.metrics."
    })
public final class TrainJob extends StageCommand {

  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

  @ConfigKey("train.recipe")
  @Option(names = "--recipe", paramLabel = "NAME", description = "The recipe (train.recipe).")
  String recipe;

  @ConfigKey("train.model")
  @Option(names = "--model", paramLabel = "PRESET", description = "A model preset (train.model).")
  String model;

  @ConfigKey("train.init")
  @Option(names = "--init", paramLabel = "DIR",
      description = "Start from a finmix checkpoint or Hugging Face directory (train.init).")
  String init;

  @ConfigKey("train.lora.enabled")
  @Option(names = "--lora", negatable = true,
      description = "Train low-rank adapters only (train.lora.enabled).")
  Boolean lora;

  @ConfigKey("train.steps")
  @Option(names = "--steps", paramLabel = "N",
      description = "Optimizer steps; 0: --epochs passes (train.steps).")
  Long steps;

  @ConfigKey("train.epochs")
  @Option(names = "--epochs", paramLabel = "N",
      description = "Passes over the data (train.epochs).")
  Integer epochs;

  @ConfigKey("train.lr")
  @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (train.lr).")
  Double lr;

  @ConfigKey("train.batch_per_worker")
  @Option(names = "--batch-per-worker", paramLabel = "N",
      description = "Sequences per local step of each worker (train.batch_per_worker).")
  Integer batchPerWorker;

  @ConfigKey("train.workers")
  @Option(names = "--workers", paramLabel = "N",
      description = "Data-parallel workers; 0: Spark's default parallelism (train.workers).")
  Integer workers;

  @ConfigKey("train.averaging_frequency")
  @Option(names = "--averaging-frequency", paramLabel = "K",
      description = "Local steps between averagings (train.averaging_frequency).")
  Integer averagingFrequency;

  @ConfigKey("train.checkpoint_every")
  @Option(names = "--checkpoint-every", paramLabel = "N",
      description = "Steps between checkpoints (train.checkpoint_every).")
  Integer checkpointEvery;

  @ConfigKey("train.seed")
  @Option(names = "--seed", paramLabel = "N", description = "train.seed")
  Long seed;

  @ConfigKey("train.name")
  @Option(names = "--name", paramLabel = "NAME",
      description = "The training run's name (train.name).")
  String name;

  @Option(names = "--resume",
      description = "Go on from the run's last good checkpoint, with the same data order; "
          + "without it a run starts afresh and replaces an earlier run of the same name.")
  boolean resume;

  public static void main(String[] args) {
    Commands.main(new TrainJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    Result result = train(session(config, "train"), config, resume);
    result.print(System.out);
    return result.status() == FINISHED ? 0 : Commands.FAILURE;
  }

  /** How a run ended. */
  public record Result(String trainRun, RunStatus status, long steps, long totalSteps,
      double firstLoss, double lastLoss, Double validationLoss, double tokensPerSecond,
      String checkpoint, String hfModel, Path dir, String message,
      TrainingStats.Totals rounds) implements StageResult {

    public void print(PrintStream out) {
      if (status != FINISHED) {
        out.printf("train %s %s at step %d of %d: %s%n", trainRun, status, steps, totalSteps,
            message);
        out.printf("last good checkpoint: %s (finmix train --resume goes on from it)%n",
            checkpoint == null ? "none" : checkpoint);
      } else {
        out.printf(Locale.ROOT, "train %s finished: %d steps, loss %.4f -> %.4f%s, %.0f tok/s%n",
            trainRun, steps, firstLoss, lastLoss, validationLoss == null ? ""
                : String.format(Locale.ROOT, ", validation loss %.4f", validationLoss),
            tokensPerSecond);
        out.println("checkpoint: " + checkpoint);
        if (hfModel != null) {
          out.println("hugging face model: " + hfModel);
        }
      }
      TrainingStats.Totals t = rounds;
      if (t.wall() > 0) {
        out.printf(Locale.ROOT, "rounds: %.1f s, %.0f tok/s; local steps %.1f%%, broadcast "
            + "%.1f%%, executor setup %.1f%%, averaging %.1f%%, other %.1f%%%n", t.wall(),
            t.tokensPerSecond(), t.percent(t.compute()), t.percent(t.broadcast()),
            t.percent(t.setup()), t.percent(t.average()), t.percent(t.other()));
      }
      out.println("training stats: " + dir.resolve(TrainingStats.FILE));
      out.flush();
    }
  }

  /** The run's fixed facts, shared by every row it writes. */
  private record Run(String runId, String trainRun, TrainSettings s, String modelName,
      String initName, ModelConfig modelConfig, long parameters, long trainable,
      String tokenizerId, int seqLen, long snapshot, long trainSequences,
      long validationSequences, int workers, long totalSteps, long stepsPerEpoch, Path dir,
      Timestamp startedAt, Steps steps) {}

  /** A run's sequences of train.sequences: training rows, and held-out rows by worker. */
  private record Sequences(JavaRDD<PackedSequence> train, JavaRDD<PackedSequence> validation,
      long trainCount, long validationCount, int maxId) {}

  /** Where a run starts: its state, and the names of its model and of what it starts from. */
  private record Start(Checkpoint checkpoint, String modelName, String initName) {}

  /** Where the step loop left a run. */
  private record Progress(Checkpoint current, Double validation, String checkpoint,
      String failure) {}

  /**
   * Trains as configured; a failed run is a result (status failed), not an exception: checks
   * the settings and reads the data, takes the starting state (fresh, from train.init, or the
   * last checkpoint), runs the step loop and writes the run's rows.
   */
  public static Result train(SparkSession spark, FinmixConfig config, boolean resume) {
    TrainSettings s = TrainSettings.of(config);
    return Steps.run(spark, "train " + s.trainRun(),
        steps -> train(spark, config, s, resume, steps));
  }

  private static Result train(SparkSession spark, FinmixConfig config, TrainSettings s,
      boolean resume, Steps steps) {
    String runId = config.runId();
    ExampleEncoder encoder = ExampleEncoders.load(ExampleEncoders.spec(config,
        config.config().getString("tokenize.tokenizer")), "tokenize.tokenizer");
    String tokenizerId = encoder.id();
    int seqLen = config.config().getInt("tokenize.seq_len");
    String trainRun = s.trainRun();
    Path dir = outputRoot(config, s).resolve(trainRun);
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    Checkpoint resumed = resume ? lastCheckpoint(dir.resolve("checkpoints"), trainRun) : null;
    long snapshot = resumed != null ? new RunState(resumed.state()).snapshot()
        : currentSnapshot(spark);
    int workers = s.workers() > 0 ? s.workers() : sc.defaultParallelism();
    Sequences data = sequences(spark, s, runId, tokenizerId, seqLen, snapshot, workers, steps);
    try {
      long perStep = (long) workers * s.batchPerWorker();
      long stepsPerEpoch = data.trainCount() / perStep;
      if (stepsPerEpoch == 0) {
        throw new UserError("recipe '" + s.recipe() + "' has " + data.trainCount()
            + " training sequences, fewer than one step needs (train.workers " + workers
            + " x train.batch_per_worker " + s.batchPerWorker() + " = " + perStep + ")");
      }
      long totalSteps = s.steps() > 0 ? s.steps() : s.epochs() * stepsPerEpoch;
      TrainConfig cfg;
      try {
        cfg = s.optimizer(totalSteps);
      } catch (IllegalArgumentException e) {
        throw new UserError(e.getMessage(), e);
      }
      Map<String, String> facts = RunState.facts(s.recipe(), workers, s.batchPerWorker(),
          s.averagingFrequency(), s.seed(), totalSteps, tokenizerId, seqLen);
      Start start = start(s, resumed, facts, encoder.tokenizer().vocabSize(), seqLen, cfg,
          tokenizerId, snapshot, trainRun);
      if (data.maxId() >= start.checkpoint().config().vocabSize()) {
        throw new UserError("train.sequences of tokenizer " + tokenizerId + " hold token id "
            + data.maxId() + " but the model's vocabulary has "
            + start.checkpoint().config().vocabSize() + " tokens");
      }
      // LoRA: the base's weights are frozen, the adapters train
      Checkpoint begin = start.checkpoint();
      Map<String, Tensor> frozen = new TreeMap<>();
      Map<String, Tensor> trainable = new TreeMap<>();
      boolean adapters = begin.parameters().keySet().stream().anyMatch(Decoder::isAdapter);
      begin.parameters().forEach((k, v) -> (adapters && !Decoder.isAdapter(k) ? frozen
          : trainable).put(k, v));
      long baseParameters = begin.parameters().entrySet().stream()
          .filter(e -> !Decoder.isAdapter(e.getKey())).mapToLong(e -> e.getValue().data().length)
          .sum();
      long trainableParameters = trainable.values().stream().mapToLong(t -> t.data().length)
          .sum();
      RunState state = new RunState(begin.state());
      if (resumed != null) {
        state = state.withResumes(state.resumes() + 1);
      }
      Checkpoint current = new Checkpoint(begin.step(), begin.config(), begin.tokenizer(),
          trainable, begin.optimizer(), state.map());
      Run run = new Run(runId, trainRun, s, start.modelName(), start.initName(), begin.config(),
          baseParameters, trainableParameters, tokenizerId, seqLen, snapshot, data.trainCount(),
          data.validationCount(), workers, totalSteps, stepsPerEpoch, dir,
          new Timestamp(state.startedAtMillis()), steps);
      return trainFrom(spark, run, cfg, data, current, frozen, resumed);
    } finally {
      data.validation().unpersist(false);
    }
  }

  /** The run's last good checkpoint, to resume from. */
  private static Checkpoint lastCheckpoint(Path checkpoints, String trainRun) {
    Map<Long, Path> valid = Checkpoint.valid(checkpoints);
    if (valid.isEmpty()) {
      throw new UserError("--resume: training run '" + trainRun + "' has no good checkpoint "
          + "under " + checkpoints + "; run without --resume to start it");
    }
    Path last = valid.get(((TreeMap<Long, Path>) valid).lastKey());
    LOG.info("train {}: resuming from {}", trainRun, last);
    return Checkpoint.read(last);
  }

  /**
   * The recipe's sequences of train.sequences as of {@code snapshot}, split by a fixed hash of
   * sequence_index into training rows and validation rows (partitioned by worker, persisted).
   */
  private static Sequences sequences(SparkSession spark, TrainSettings s, String runId,
      String tokenizerId, int seqLen, long snapshot, int workers, Steps steps) {
    steps.next("read train.sequences");
    Dataset<Row> sequences = spark.sql("SELECT " + String.join(", ", PackedSequence.COLUMNS)
        + " FROM " + TableSchemas.CATALOG + ".train.sequences VERSION AS OF " + snapshot)
        .where(col("run_id").equalTo(runId).and(col("recipe").equalTo(s.recipe()))
            .and(col("tokenizer_id").equalTo(tokenizerId)).and(col("seq_len").equalTo(seqLen)));
    // unused columns dropped above; the filter is pushed into the Iceberg scan
    Row counts = sequences.selectExpr("count(*)", "max(array_max(input_ids))").first();
    if (counts.getLong(0) == 0) {
      throw new UserError(noSequences(spark, runId, s.recipe(), tokenizerId, seqLen));
    }
    double fraction = s.validationFraction();
    JavaRDD<PackedSequence> all = sequences.javaRDD().map(PackedSequence::of);
    JavaRDD<PackedSequence> train = all.filter(q -> !PackedSequence.validation(q.index(),
        fraction));
    JavaRDD<PackedSequence> validation = all
        .filter(q -> PackedSequence.validation(q.index(), fraction))
        .mapToPair(q -> new Tuple2<>((int) (q.index() % workers), q))
        .partitionBy(new HashPartitioner(workers)).values()
        .persist(StorageLevel.MEMORY_AND_DISK());
    long validationCount = validation.count();
    return new Sequences(train, validation, counts.getLong(0) - validationCount,
        validationCount, counts.getInt(1));
  }

  /**
   * The starting state: the checkpoint resumed (its settings must be the run's), or a fresh
   * model (a preset, or train.init's weights) with fresh optimizer moments.
   */
  private static Start start(TrainSettings s, Checkpoint resumed, Map<String, String> facts,
      int vocab, int seqLen, TrainConfig cfg, String tokenizerId, long snapshot,
      String trainRun) {
    if (resumed != null) {
      RunState was = new RunState(resumed.state());
      String k = was.mismatch(facts);
      if (k != null) {
        throw new UserError("--resume: " + k + " is " + facts.get(k) + " now but " + was.get(k)
            + " in the checkpoint of '" + trainRun + "'; resume with the run's own settings"
            + " (or start afresh without --resume)");
      }
      return new Start(resumed, was.model(), was.init());
    }
    Decoder m = initialModel(s, vocab, seqLen);
    String modelName = s.init().isEmpty() || isPreset(s, m.config(), vocab) ? s.model()
        : m.config().toJson().replaceAll("\\s+", "");
    String initName = s.init().isEmpty() ? "scratch"
        : Path.of(s.init()).toAbsolutePath().toString();
    return new Start(new Trainer(m, cfg).checkpoint(tokenizerId, RunState.fresh(facts,
        modelName, initName, snapshot, System.currentTimeMillis()).map()), modelName, initName);
  }

  /**
   * Trains a checked run from {@code current} to its last step: marks it running, runs the step
   * loop, exports the model, and writes the run's rows finished or failed.
   */
  private static Result trainFrom(SparkSession spark, Run run, TrainConfig cfg, Sequences data,
      Checkpoint current, Map<String, Tensor> frozen, Checkpoint resumed) {
    TrainSettings s = run.s();
    String trainRun = run.trainRun();
    double priorSeconds = new RunState(current.state()).seconds();
    List<StepMetric> metrics = new ArrayList<>();
    String lastCheckpoint = null;
    if (resumed != null) {
      TableWriter.runRows(spark, "train.metrics", run.runId())
          .where(col("train_run").equalTo(trainRun).and(col("step").leq(resumed.step())))
          .orderBy("step").collectAsList().forEach(r -> metrics.add(StepMetric.of(r)));
      lastCheckpoint = checkpointDir(run.dir(), resumed.step()).toString();
    } else {
      // a fresh start replaces the run's files, only now that every setting has been checked:
      // a refused re-run leaves the earlier run's checkpoints, which train.runs points to
      deleteTree(run.dir());
    }
    TrainingStats stats = new TrainingStats(trainRun, s, run.workers(), run.trainable());
    writeRun(spark, run, current, metrics, RUNNING, null, priorSeconds, lastCheckpoint, null);
    run.steps().progress("{} {} ({} parameters, {} trainable) on {} of recipe {} ({} training "
        + "sequences, {} held out), {} workers x {} sequences, {} steps ({} per epoch), "
        + "averaging every {}", run.initName().equals("scratch") ? "preset" : "init",
        run.modelName().length() > 40 ? run.initName() : run.modelName(), run.parameters(),
        run.trainable(), run.tokenizerId(), s.recipe(), run.trainSequences(),
        run.validationSequences(), run.workers(), s.batchPerWorker(), run.totalSteps(),
        run.stepsPerEpoch(), s.averagingFrequency());

    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    ParameterAveraging pa = new ParameterAveraging(sc, trainRun + "@" + System.nanoTime(),
        frozen, run.workers(), s.perExampleLoss());
    try {
      Progress p = steps(spark, run, cfg, pa, data, current, frozen, metrics, stats,
          lastCheckpoint, priorSeconds);
      current = p.current();
      lastCheckpoint = p.checkpoint();
      double seconds = priorSeconds + run.steps().elapsed();
      if (p.failure() != null) {
        LOG.error("train {}: {}", trainRun, p.failure());
        writeRun(spark, run, current, metrics, FAILED, p.failure(), seconds, lastCheckpoint,
            null);
        return result(run, current, metrics, FAILED, p.validation(), lastCheckpoint, null,
            p.failure(), stats);
      }
      String hf = s.exportHf() ? export(spark, run, current, frozen) : null;
      // the last step was a checkpoint: metrics and stats are written already
      writeRunRow(spark, run, current, metrics, FINISHED, null, seconds, lastCheckpoint, hf);
      return result(run, current, metrics, FINISHED, p.validation(), lastCheckpoint, hf, null,
          stats);
    } catch (RuntimeException e) {
      double seconds = priorSeconds + run.steps().elapsed();
      try {
        writeRun(spark, run, current, metrics, FAILED, String.valueOf(e.getMessage()), seconds,
            lastCheckpoint, null);
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    } finally {
      pa.close();
    }
  }

  /**
   * The step loop: rounds of local steps on every worker, then averaging; the validation loss,
   * progress and checkpoints (with the steps so far in train.metrics) as configured.
   */
  private static Progress steps(SparkSession spark, Run run, TrainConfig cfg,
      ParameterAveraging pa, Sequences data, Checkpoint current, Map<String, Tensor> frozen,
      List<StepMetric> metrics, TrainingStats stats, String lastCheckpoint, double priorSeconds) {
    TrainSettings s = run.s();
    String trainRun = run.trainRun();
    long totalSteps = run.totalSteps();
    long stepsPerEpoch = run.stepsPerEpoch();
    int workers = run.workers();
    Path checkpoints = run.dir().resolve("checkpoints");
    JavaRDD<PackedSequence[]> shards = null;
    int shardsEpoch = -1;
    long sessionSteps = 0;
    Double lastValidation = null;
    try {
      long step = current.step();
      while (step < totalSteps) {
        int epoch = (int) (step / stepsPerEpoch);
        if (epoch != shardsEpoch) {
          if (shards != null) {
            shards.unpersist(false);
          }
          run.steps().next("shuffle and shard epoch " + (epoch + 1) + " over " + workers
              + " workers");
          shards = pa.shards(data.train(), s.seed(), epoch);
          shardsEpoch = epoch;
        }
        int local = (int) (step % stepsPerEpoch);
        long k = Math.min(s.averagingFrequency(), Math.min(stepsPerEpoch - local,
            totalSteps - step));
        k = Math.min(k, nextMultiple(step, s.checkpointEvery()) - step);
        if (s.evalEvery() > 0) {
          k = Math.min(k, nextMultiple(step, s.evalEvery()) - step);
        }
        run.steps().next("steps " + (step + 1)
            + "-" + (step + k) + " of " + totalSteps + " (" + k + " local steps on each of "
            + workers + " workers, then averaging)");
        ParameterAveraging.Round r = pa.round(shards, current, cfg, local, (int) k,
            s.batchPerWorker());
        if (r.failure() != null) {
          return new Progress(current, lastValidation, lastCheckpoint, "non-finite loss in "
              + "steps " + (step + 1) + "-" + (step + k) + ": " + r.failure());
        }
        long roundTokens = java.util.Arrays.stream(r.tokens()).sum();
        double elapsed = priorSeconds + run.steps().elapsed();
        for (int j = 0; j < k; j++) {
          metrics.add(new StepMetric(step + j + 1, epoch + 1, r.loss()[j], r.gradNorm()[j],
              null, cfg.lrAt(step + j), r.tokens()[j], roundTokens / r.wallSeconds(), elapsed));
        }
        RunState st = new RunState(r.state().state());
        st = st.withTokens(st.tokens() + roundTokens);
        if (step == 0) {
          st = st.withFirstLoss(r.loss()[0]);
        }
        current = withState(r.state(), st);
        stats.add(step + 1, step + k, r, roundTokens);
        step += k;
        sessionSteps += k;
        boolean checkpoint = step % s.checkpointEvery() == 0 || step == totalSteps;
        boolean evaluate = s.evalEvery() > 0 ? step % s.evalEvery() == 0 || step == totalSteps
            : checkpoint;
        if (evaluate && data.validationCount() > 0) {
          run.steps().next("validation loss after step " + step + " ("
              + data.validationCount() + " held-out sequences)");
          lastValidation = pa.validationLoss(data.validation(), current, cfg,
              s.batchPerWorker());
          StepMetric last = metrics.remove(metrics.size() - 1);
          metrics.add(last.withValidation(lastValidation));
        }
        progress(run.steps(), step, totalSteps, epoch, stepsPerEpoch, r.loss()[(int) k - 1],
            lastValidation, cfg.lrAt(step - 1), roundTokens / r.wallSeconds(), sessionSteps);
        if (checkpoint) {
          run.steps().next("checkpoint at step " + step);
          double seconds = priorSeconds + run.steps().elapsed();
          current = withState(current, st.withSeconds(seconds));
          Path ck = checkpointDir(run.dir(), step);
          // the steps first, the checkpoint next: a resumed run finds every step up to its
          // checkpoint in the table (and drops any after it)
          writeMetrics(spark, run, metrics);
          full(current, frozen).write(ck);
          prune(checkpoints, s.keepCheckpoints());
          lastCheckpoint = ck.toString();
          stats.write(run.dir(), metrics);
          writeRunRow(spark, run, current, metrics, RUNNING, null, seconds, lastCheckpoint,
              null);
        }
      }
      return new Progress(current, lastValidation, lastCheckpoint, null);
    } finally {
      if (shards != null) {
        shards.unpersist(false);
      }
    }
  }

  /** The directory of the run's checkpoint at {@code step}. */
  private static Path checkpointDir(Path runDir, long step) {
    return runDir.resolve("checkpoints").resolve(String.format(Locale.ROOT, "step-%09d", step));
  }

  /** The final model as a Hugging Face directory (and its adapters as PEFT files). */
  private static String export(SparkSession spark, Run run, Checkpoint current,
      Map<String, Tensor> frozen) {
    run.steps().next("export");
    Path hfDir = run.dir().resolve("hf");
    deleteTree(hfDir);
    Decoder finalModel = Trainer.newModel(current, run.s().seed());
    finalModel.setParameters(full(current, frozen).parameters());
    HfModel.write(finalModel, hfDir, Safetensors.DType.F32);
    if (finalModel.lora() != null) {
      HfModel.writeAdapters(finalModel, run.dir().resolve("adapters"), hfDir.toString());
    }
    return hfDir.toString();
  }

  private static Result result(Run run, Checkpoint current, List<StepMetric> metrics,
      RunStatus status, Double validation, String checkpoint, String hf, String message,
      TrainingStats stats) {
    RunState state = new RunState(current.state());
    double first = state.firstLoss();
    double last = metrics.isEmpty() ? Double.NaN : metrics.get(metrics.size() - 1).loss();
    double seconds = state.seconds();
    long tokens = state.tokens();
    return new Result(run.trainRun(), status, current.step(), run.totalSteps(), first, last,
        validation, seconds > 0 ? tokens / seconds : 0, checkpoint, hf, run.dir(), message,
        stats.totals());
  }

  /** Whether a model read from train.init has train.model's shape (a base pretrained here). */
  private static boolean isPreset(TrainSettings s, ModelConfig c, int vocab) {
    try {
      return preset(s.modelsFile(), s.model()).withVocabSize(vocab).withDType(c.dtype())
          .equals(c);
    } catch (UserError e) {
      return false;
    }
  }

  /** A fresh model of the preset (vocabulary from the tokenizer), or one read from train.init. */
  private static Decoder initialModel(TrainSettings s, int vocab, int seqLen) {
    Decoder m;
    if (s.init().isEmpty()) {
      ModelConfig preset = preset(s.modelsFile(), s.model());
      m = new Decoder(preset.withVocabSize(vocab), s.lora(), s.seed());
    } else {
      Path dir = Path.of(s.init());
      if (!Files.isDirectory(dir)) {
        throw new UserError("train.init: " + dir + " is not a directory (sweep.init = base "
            + "fine-tunes the run's base: `finmix pretrain` makes it)");
      }
      try {
        if (Files.exists(dir.resolve("manifest.json"))) {
          Checkpoint ck = Checkpoint.read(dir);
          m = new Decoder(ck.config(), s.lora(), s.seed());
          Map<String, Tensor> base = new TreeMap<>(ck.parameters());
          base.keySet().removeIf(Decoder::isAdapter);
          m.setParameters(base);
        } else {
          m = HfModel.read(dir, s.lora(), ModelConfig.DType.FLOAT, s.seed());
        }
      } catch (IllegalArgumentException | UncheckedIOException e) {
        throw new UserError("train.init: " + e.getMessage(), e);
      }
    }
    ModelConfig c = m.config();
    if (c.positions() == ModelConfig.Positions.LEARNED && seqLen > c.maxSeqLen()) {
      throw new UserError("tokenize.seq_len " + seqLen + " is longer than the model's "
          + "max_seq_len " + c.maxSeqLen() + " (learned positions)");
    }
    return m;
  }

  /** A preset of the models file (a path, or a name under conf/). */
  static ModelConfig preset(String modelsFile, String name) {
    ConfFiles.ConfFile file = ConfFiles.find(modelsFile);
    List<String> names = new ArrayList<>();
    for (ConfFiles.Entry e : file.entries("models", "model preset", "models { name { ... } }")) {
      if (e.name().equals(name)) {
        try {
          return ModelConfig.fromConfig(e.config(), e.where());
        } catch (IllegalArgumentException ex) {
          throw new UserError(ex.getMessage(), ex);
        }
      }
      names.add(e.name());
    }
    throw new UserError("train.model: no preset '" + name + "' in " + file.description()
        + " (presets: " + String.join(", ", names) + ")");
  }

  private static Path outputRoot(FinmixConfig config, TrainSettings s) {
    if (!s.outputDir().isEmpty()) {
      return Path.of(s.outputDir()).toAbsolutePath();
    }
    String runDir = config.runDir();
    String scheme = new org.apache.hadoop.fs.Path(runDir).toUri().getScheme();
    if (scheme != null && !scheme.equals("file")) {
      throw new UserError("the warehouse " + config.warehouse() + " is not a local path: set "
          + "train.output_dir to a directory on the driver for checkpoints");
    }
    return Path.of(runDir.replaceFirst("^file:", "")).resolve("train").toAbsolutePath();
  }

  /** The directory of the training run the config names (checkpoints, reports). */
  public static Path runDir(FinmixConfig config) {
    TrainSettings s = TrainSettings.of(config);
    return outputRoot(config, s).resolve(s.trainRun());
  }

  private static long currentSnapshot(SparkSession spark) {
    TableWriter.ensureTable(spark, "train.sequences");
    try {
      var table = org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark,
          TableSchemas.CATALOG + ".train.sequences");
      table.refresh();
      if (table.currentSnapshot() == null) {
        throw new UserError("finmix.train.sequences is empty: run `finmix tokenize` first");
      }
      return table.currentSnapshot().snapshotId();
    } catch (org.apache.spark.sql.catalyst.parser.ParseException
        | org.apache.spark.sql.catalyst.analysis.NoSuchTableException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String noSequences(SparkSession spark, String runId, String recipe,
      String tokenizerId, int seqLen) {
    List<String> have = new ArrayList<>();
    for (Row r : TableWriter.runRows(spark, "train.sequences", runId)
        .groupBy("recipe", "tokenizer_id", "seq_len").count().orderBy("recipe").collectAsList()) {
      have.add(r.getString(0) + " (" + r.getString(1) + ", seq_len " + r.getInt(2) + ")");
    }
    return "no train.sequences for run " + runId + ", recipe '" + recipe + "', tokenizer "
        + tokenizerId + ", seq_len " + seqLen + " (set train.recipe, tokenize.tokenizer and "
        + "tokenize.seq_len to match `finmix tokenize`); run " + runId + " has "
        + (have.isEmpty() ? "none" : String.join(", ", have));
  }

  private static long nextMultiple(long step, long every) {
    return (step / every + 1) * every;
  }

  private static Checkpoint withState(Checkpoint c, RunState state) {
    return new Checkpoint(c.step(), c.config(), c.tokenizer(), c.parameters(), c.optimizer(),
        new TreeMap<>(state.map()));
  }

  /** The state with the frozen parameters put back: a complete checkpoint. */
  private static Checkpoint full(Checkpoint c, Map<String, Tensor> frozen) {
    Map<String, Tensor> all = new TreeMap<>(frozen);
    all.putAll(c.parameters());
    return new Checkpoint(c.step(), c.config(), c.tokenizer(), all, c.optimizer(), c.state());
  }

  private static void progress(Steps steps, long step, long total, int epoch,
      long stepsPerEpoch, double loss, Double validation, double lr, double tokensPerSecond,
      long sessionSteps) {
    double eta = sessionSteps == 0 ? 0 : steps.elapsed() / sessionSteps * (total - step);
    steps.progress(String.format(Locale.ROOT, "step %d/%d (%.0f%%) epoch %d loss %.4f "
        + "val %s lr %.2e %.0f tok/s ETA %s", step, total, 100.0 * step / total,
        epoch + 1, loss, validation == null ? "-" : String.format(Locale.ROOT, "%.4f",
            validation), lr, tokensPerSecond, duration(eta)));
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60)
        : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
  }

  /** Keeps the newest {@code keep} good checkpoints; removes older ones and unfinished writes. */
  private static void prune(Path root, int keep) {
    List<Path> good = new ArrayList<>(Checkpoint.valid(root).values());
    for (int i = 0; i < good.size() - keep; i++) {
      deleteTree(good.get(i));
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  /** Replaces the run's steps in train.metrics, then its row in train.runs. */
  private static void writeRun(SparkSession spark, Run run, Checkpoint current,
      List<StepMetric> metrics, RunStatus status, String message, double seconds,
      String checkpoint, String hf) {
    writeMetrics(spark, run, metrics);
    writeRunRow(spark, run, current, metrics, status, message, seconds, checkpoint, hf);
  }

  private static org.apache.spark.sql.Column rowsOf(Run run) {
    return col("run_id").equalTo(run.runId()).and(col("train_run").equalTo(run.trainRun()));
  }

  private static void writeMetrics(SparkSession spark, Run run, List<StepMetric> metrics) {
    run.steps().next("write train.metrics");
    TableWriter.overwrite(spark, "train.metrics", metrics.stream()
        .map(m -> m.row(run.runId(), run.trainRun())).toList(), rowsOf(run));
  }

  private static void writeRunRow(SparkSession spark, Run run, Checkpoint current,
      List<StepMetric> metrics, RunStatus status, String message, double seconds,
      String checkpoint, String hf) {
    RunState state = new RunState(current.state());
    Double loss = metrics.isEmpty() ? null : metrics.get(metrics.size() - 1).loss();
    Double validation = null;
    for (StepMetric m : metrics) {
      validation = m.validationLoss() == null ? validation : m.validationLoss();
    }
    Map<String, String> hyper = new TreeMap<>(run.s().given());
    hyper.put("workers", Integer.toString(run.workers()));
    hyper.put("total_steps", Long.toString(run.totalSteps()));
    Row row = RowFactory.create(run.runId(), run.trainRun(), run.s().recipe(), run.modelName(),
        run.initName(), run.s().lora() == null ? null : run.s().lora().spec(), run.parameters(),
        run.trainable(), scala.collection.JavaConverters.mapAsScalaMap(hyper), run.tokenizerId(),
        run.seqLen(), run.snapshot(), run.trainSequences(), run.validationSequences(),
        run.workers(), run.totalSteps(), current.step(),
        state.tokens(), loss, validation, status.column(), message,
        run.startedAt(), new Timestamp(System.currentTimeMillis()), seconds,
        state.resumes(), checkpoint, hf);
    run.steps().next("write train.runs (" + status + ")");
    TableWriter.overwrite(spark, "train.runs", List.of(row), rowsOf(run));
  }
}
