package io.finmix.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.CliRunner;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.core.TableWriter;
import io.finmix.model.io.Checkpoint;
import io.finmix.model.io.HfModel;
import io.finmix.model.io.Safetensors.Tensor;
import io.finmix.model.nn.Decoder;
import io.finmix.model.train.Trainer;
import io.finmix.model.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Training on Spark (local[2], two workers): a synthetic packed recipe of arithmetic
 * progressions written straight into train.sequences, the tiny preset.
 */
class TrainJobTest extends SparkTestBase {

  private static final String RUN = "train-test";
  private static final int SEQ_LEN = 64;
  private static final String[] COMMON = {"--warehouse", WAREHOUSE, "--run-id", RUN,
      "--set", "tokenize.tokenizer=bytes", "--set", "tokenize.seq_len=" + SEQ_LEN};
  /** Options a test may give otherwise. */
  private static final String[][] DEFAULTS = {{"--recipe", "progressions"}, {"--model", "tiny"},
      {"--workers", "2"}, {"--batch-per-worker", "4"}, {"--lr", "1e-2"},
      {"--averaging-frequency", "4"}};

  @BeforeAll
  static void writeSequences() {
    ProgressionSequences.write(SPARK, RUN, 200, SEQ_LEN);
  }

  private static CliRunner train(String... more) {
    List<String> args = new ArrayList<>(List.of(COMMON));
    args.addAll(List.of(more));
    for (String[] d : DEFAULTS) {
      if (!args.contains(d[0])) {
        args.addAll(List.of(d));
      }
    }
    if (!String.join(" ", args).contains("train.warmup_steps")) {
      args.addAll(List.of("--set", "train.warmup_steps=4"));
    }
    return CliRunner.run(new TrainJob(), args.toArray(new String[0]));
  }

  private static Path runDir(String name) {
    return Path.of(WAREHOUSE, "runs", RUN, "train", name);
  }

  @Test
  void trainsWritesTablesCheckpointsAndAModelThatScores() throws Exception {
    CliRunner r = train("--name", "full", "--steps", "40", "--checkpoint-every", "20");
    assertThat(r.exitCode()).as(r.err()).isZero();

    Row run = sql("SELECT status, steps, total_steps, workers, train_sequences, "
        + "validation_sequences, loss, validation_loss, checkpoint, hf_model, recipe, model, "
        + "init, tokens, hyper_parameters['lr'] FROM finmix.train.runs WHERE run_id = '%s' AND "
        + "train_run = 'full'", RUN).get(0);
    assertThat(run.getString(0)).isEqualTo("finished");
    assertThat(run.getLong(1)).isEqualTo(40);
    assertThat(run.getLong(2)).isEqualTo(40);
    assertThat(run.getInt(3)).isEqualTo(2);
    assertThat(run.getLong(4) + run.getLong(5)).isEqualTo(200);
    assertThat(run.getLong(5)).isBetween(2L, 30L);
    assertThat(run.getString(10)).isEqualTo("progressions");
    assertThat(run.getString(11)).isEqualTo("tiny");
    assertThat(run.getString(12)).isEqualTo("scratch");
    assertThat(run.getLong(13)).isGreaterThan(40L * 8 * 50);
    assertThat(run.getString(14)).isEqualTo("0.01");

    List<Row> steps = sql("SELECT step, epoch, loss, validation_loss, learning_rate, tokens, "
        + "tokens_per_second FROM finmix.train.metrics WHERE run_id = '%s' AND train_run = "
        + "'full' ORDER BY step", RUN);
    assertThat(steps).hasSize(40);
    assertThat(steps.stream().map(s -> s.getLong(0)).toList()).containsExactlyElementsOf(
        java.util.stream.LongStream.rangeClosed(1, 40).boxed().toList());
    int perEpoch = (int) (run.getLong(4) / (2 * 4)); // training sequences / (workers x batch)
    assertThat(perEpoch).isLessThan(40);
    assertThat(steps.get(perEpoch - 1).getInt(1)).isEqualTo(1);
    assertThat(steps.get(perEpoch).getInt(1)).isEqualTo(2);
    double first = steps.get(0).getDouble(2);
    double last = steps.subList(35, 40).stream().mapToDouble(s -> s.getDouble(2)).average()
        .orElseThrow();
    assertThat(first).isGreaterThan(Math.log(257) - 0.5);
    assertThat(last).as("loss falls well below its start").isLessThan(first * 0.6);
    assertThat(steps.stream().filter(s -> !s.isNullAt(3)).map(s -> s.getLong(0)).toList())
        .containsExactly(20L, 40L);
    assertThat(steps.get(39).getDouble(3)).isEqualTo(run.getDouble(7)).isLessThan(first * 0.7);
    assertThat(steps.get(0).getDouble(4)).isEqualTo(1e-2 / 4, org.assertj.core.data.Offset
        .offset(1e-12));

    // the checkpoint loads and scores: true continuations rank above wrong ones
    Path ck = Path.of(run.getString(8));
    assertThat(ck.getFileName().toString()).isEqualTo("step-000000040");
    Checkpoint c = Checkpoint.read(ck);
    assertThat(c.step()).isEqualTo(40);
    assertThat(c.optimizer()).isNotEmpty();
    Decoder model = Trainer.resume(c, TrainConfig.of(1e-3, 0, 1, 1)).model();
    assertThat(ProgressionSequences.rankedFirst(model, SEQ_LEN, 99, 2, 17)).as("true continuations ranked first, of 20").isGreaterThanOrEqualTo(16);

    // the Hugging Face export gives the same model
    Decoder hf = HfModel.read(Path.of(run.getString(9)), null,
        io.finmix.model.config.ModelConfig.DType.FLOAT, 1);
    assertThat(hf.config().vocabSize()).isEqualTo(257);
    assertThat(hf.loss(probe())).isCloseTo(model.loss(probe()),
        org.assertj.core.data.Offset.offset(1e-5));
    assertThat(Files.readString(runDir("full").resolve(TrainingStats.FILE)))
        .contains("<svg", "local steps", "averaging", "40");
  }

  private static io.finmix.model.nn.Batch probe() {
    List<List<int[]>> rows = new ArrayList<>();
    rows.add(List.of(new int[] {1, 3, 5, 7, 9, 11, 13}, new int[] {2, 3, 4, 5, 6}));
    return io.finmix.model.nn.Batch.ofPackedExamples(rows, SEQ_LEN);
  }

  @Test
  void resumeTakesExactlyTheStepsOfTheUninterruptedRun() throws Exception {
    String[] settings = {"--steps", "24", "--checkpoint-every", "8", "--set",
        "train.export_hf=false"};
    CliRunner whole = train(concat(settings, "--name", "whole"));
    assertThat(whole.exitCode()).as(whole.err()).isZero();
    CliRunner cut = train(concat(settings, "--name", "cut"));
    assertThat(cut.exitCode()).as(cut.err()).isZero();
    // as if the driver died after its checkpoint at step 16: the last checkpoint is gone
    Path checkpoints = runDir("cut").resolve("checkpoints");
    TrainJob.deleteTree(checkpoints.resolve("step-000000024"));
    assertThat(Checkpoint.valid(checkpoints)).containsOnlyKeys(16L);

    CliRunner resumed = train(concat(settings, "--name", "cut", "--resume"));
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();

    List<Row> a = sql("SELECT step, loss, grad_norm FROM finmix.train.metrics WHERE run_id = "
        + "'%s' AND train_run = 'whole' ORDER BY step", RUN);
    List<Row> b = sql("SELECT step, loss, grad_norm FROM finmix.train.metrics WHERE run_id = "
        + "'%s' AND train_run = 'cut' ORDER BY step", RUN);
    assertThat(b).hasSize(24).isEqualTo(a);
    Row run = sql("SELECT status, steps, resumes FROM finmix.train.runs WHERE run_id = '%s' AND "
        + "train_run = 'cut'", RUN).get(0);
    assertThat(run.getString(0)).isEqualTo("finished");
    assertThat(run.getLong(1)).isEqualTo(24);
    assertThat(run.getInt(2)).isEqualTo(1);
    Map<String, Tensor> pa = Checkpoint.read(runDir("whole").resolve("checkpoints/step-000000024"))
        .parameters();
    Map<String, Tensor> pb = Checkpoint.read(checkpoints.resolve("step-000000024")).parameters();
    assertThat(pb.keySet()).isEqualTo(pa.keySet());
    pa.forEach((name, t) -> assertThat(pb.get(name).data()).as(name).containsExactly(t.data()));

    // resuming with other settings would change the data order: refused, naming the key
    CliRunner other = train(concat(settings, "--name", "cut", "--resume", "--seed", "5"));
    assertThat(other.exitCode()).isEqualTo(2);
    assertThat(other.err()).contains("seed is 5 now but 1");
  }

  @Test
  void loraTrainsOnlyTheAdaptersOfAnInitCheckpoint() throws Exception {
    CliRunner base = train("--name", "base", "--steps", "8", "--checkpoint-every", "8", "--set",
        "train.export_hf=false");
    assertThat(base.exitCode()).as(base.err()).isZero();
    Path baseCk = runDir("base").resolve("checkpoints/step-000000008");
    CliRunner lora = train("--name", "adapted", "--steps", "8", "--checkpoint-every", "8",
        "--init", baseCk.toString(), "--lora", "--set", "train.lora.targets=[q,v]",
        "--set", "train.lora.dropout=0.1");
    assertThat(lora.exitCode()).as(lora.err()).isZero();
    Map<String, Tensor> before = Checkpoint.read(baseCk).parameters();
    Checkpoint after = Checkpoint.read(runDir("adapted").resolve("checkpoints/step-000000008"));
    Map<String, Tensor> adapters = new TreeMap<>(after.parameters());
    adapters.keySet().removeIf(n -> !n.contains(".lora_"));
    assertThat(adapters).hasSize(2 * 2 * 2); // 2 layers x (q, v) x (A, B)
    before.forEach((name, t) -> assertThat(after.parameters().get(name).data()).as(name)
        .containsExactly(t.data()));
    assertThat(adapters.entrySet().stream().filter(e -> e.getKey().endsWith("lora_B.weight"))
        .anyMatch(e -> java.util.Arrays.stream(toDoubles(e.getValue().data()))
            .anyMatch(v -> v != 0))).as("B moved from zero").isTrue();
    Row run = sql("SELECT lora, init, trainable_parameters < parameters FROM finmix.train.runs "
        + "WHERE run_id = '%s' AND train_run = 'adapted'", RUN).get(0);
    assertThat(run.getString(0)).contains("rank=8", "targets=q,v");
    assertThat(run.getString(1)).isEqualTo(baseCk.toAbsolutePath().toString());
    assertThat(run.getBoolean(2)).isTrue();
    assertThat(runDir("adapted").resolve("adapters/adapter_config.json")).exists();
  }

  @Test
  void aFineTuneFromThePretrainedBaseStartsWithTheBasesLossOnItsFirstBatch() throws Exception {
    // the base: finmix pretrain on the recipe (the loss on every token), exported
    List<String> args = new ArrayList<>(List.of(COMMON));
    args.addAll(List.of("--set", "pretrain.recipe=progressions", "--set", "pretrain.model=tiny",
        "--set", "pretrain.steps=8", "--set", "pretrain.batch_per_worker=4", "--set",
        "train.workers=2", "--set", "train.averaging_frequency=4"));
    CliRunner pretrain = CliRunner.run(new PretrainJob(), args.toArray(new String[0]));
    assertThat(pretrain.exitCode()).as(pretrain.err()).isZero();
    Path base = runDir("pretrain-tiny-s1").resolve("hf");
    assertThat(base.resolve("model.safetensors")).exists();
    assertThat(sql("SELECT status, steps, model, init FROM finmix.train.runs WHERE run_id = '%s'"
        + " AND train_run = 'pretrain-tiny-s1'", RUN).get(0).toString())
        .isEqualTo("[finished,8,tiny,scratch]");

    // fine-tuned from it by one worker: its first batch, the 4 training sequences that come
    // first in epoch 0's seeded order, scored by the base as it was exported
    CliRunner ft = train("--name", "from-base", "--init", base.toString(), "--workers", "1",
        "--steps", "2", "--averaging-frequency", "1", "--checkpoint-every", "2");
    assertThat(ft.exitCode()).as(ft.err()).isZero();
    double first = sql("SELECT loss FROM finmix.train.metrics WHERE run_id = '%s' AND train_run "
        + "= 'from-base' AND step = 1", RUN).get(0).getDouble(0);
    List<PackedSequence> rows = new ArrayList<>();
    SPARK.sql("SELECT " + String.join(", ", PackedSequence.COLUMNS) + " FROM "
        + "finmix.train.sequences WHERE run_id = '" + RUN + "' AND recipe = 'progressions'")
        .collectAsList().forEach(r -> rows.add(PackedSequence.of(r)));
    rows.removeIf(q -> PackedSequence.validation(q.index(), 0.05));
    rows.sort(java.util.Comparator.comparingLong((PackedSequence q) -> PackedSequence.orderKey(1,
        0, q.index())).thenComparingLong(PackedSequence::index));
    io.finmix.model.nn.Decoder model = io.finmix.model.io.HfModel.read(base, null,
        io.finmix.model.config.ModelConfig.DType.FLOAT, 0);
    double expected = model.loss(PackedSequence.batch(rows.subList(0, 4)));
    assertThat(first).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5 * expected));
    // the run is named by its base's preset and started from the base
    Row run = sql("SELECT model, init FROM finmix.train.runs WHERE run_id = '%s' AND train_run "
        + "= 'from-base'", RUN).get(0);
    assertThat(run.getString(0)).isEqualTo("tiny");
    assertThat(run.getString(1)).isEqualTo(base.toAbsolutePath().toString());
  }

  @Test
  void aDivergingRunFailsKeepingItsLastGoodCheckpoint() {
    CliRunner r = train("--name", "diverges", "--steps", "30", "--checkpoint-every", "1",
        "--averaging-frequency", "1", "--lr", "1e6", "--set", "train.warmup_steps=0",
        "--set", "train.clip_norm=0");
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    Row run = sql("SELECT status, message, steps, checkpoint FROM finmix.train.runs WHERE "
        + "run_id = '%s' AND train_run = 'diverges'", RUN).get(0);
    assertThat(run.getString(0)).isEqualTo("failed");
    assertThat(run.getString(1)).contains("non-finite loss", "lower the learning rate");
    assertThat(run.getLong(2)).isPositive().isLessThan(30);
    assertThat(Checkpoint.valid(runDir("diverges").resolve("checkpoints")))
        .containsKey(run.getLong(2));
  }

  @Test
  void badSettingsAreUserErrorsNamingTheKey() {
    CliRunner recipe = train("--name", "x", "--recipe", "nope");
    assertThat(recipe.exitCode()).isEqualTo(2);
    assertThat(recipe.err()).contains("no train.sequences for run " + RUN + ", recipe 'nope'",
        "progressions (bytes, seq_len 64)");
    CliRunner resume = train("--name", "never-ran", "--resume");
    assertThat(resume.exitCode()).isEqualTo(2);
    assertThat(resume.err()).contains("--resume", "'never-ran' has no good checkpoint");
    CliRunner preset = train("--name", "x", "--model", "huge");
    assertThat(preset.exitCode()).isEqualTo(2);
    assertThat(preset.err()).contains("no preset 'huge'", "tiny");
    CliRunner batch = train("--name", "x", "--batch-per-worker", "200");
    assertThat(batch.exitCode()).isEqualTo(2);
    assertThat(batch.err()).contains("fewer than one step needs");
  }

  @Test
  void aRerunRefusedForBadSettingsLeavesTheRunAsItWas() {
    String[] settings = {"--name", "kept", "--steps", "4", "--checkpoint-every", "4"};
    CliRunner first = train(settings);
    assertThat(first.exitCode()).as(first.err()).isZero();
    Path run = runDir("kept");
    assertThat(Checkpoint.valid(run.resolve("checkpoints"))).containsOnlyKeys(4L);
    // each problem is found before the run's directory is cleared for the new start
    for (String[] bad : List.of(new String[] {"--recipe", "nope"},
        new String[] {"--init", runDir("never-ran").toString()},
        new String[] {"--batch-per-worker", "200"})) {
      CliRunner again = train(concat(settings, bad));
      assertThat(again.exitCode()).as(again.err()).isEqualTo(2);
      assertThat(Checkpoint.valid(run.resolve("checkpoints"))).as("after %s", List.of(bad))
          .containsOnlyKeys(4L);
      assertThat(run.resolve("hf/model.safetensors")).as("after %s", List.of(bad)).exists();
    }
  }

  private static double[] toDoubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
