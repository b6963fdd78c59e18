package io.finmix.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The acceptance suite: bin/finmix ingests the real public corpora in ../shared/corpora through
 * conf/sources/public.conf, and every count is held against the figures in its SOURCE.md.
 * Without ../shared this fails: it is run where the corpora are meant to be.
 */
@Tag("acceptance")
class PublicCorporaAcceptanceIT extends SparkTestBase {

  private static final String RUN = "acceptance";
  private static final Path CORPORA = Path.of(System.getenv().getOrDefault("FINMIX_DATA_DIR",
      Launcher.HOME.resolve("../shared/corpora").normalize().toString()));

  private static final Path QWEN3 = CORPORA.resolve("../tokenizers/qwen3/tokenizer.json")
      .normalize();

  @BeforeAll
  static void ingestThePublicCorpora() throws Exception {
    assertThat(CORPORA.resolve("fpb/SOURCE.md"))
        .as("the public corpora (../shared/corpora, or FINMIX_DATA_DIR) are required here")
        .exists();
    Launcher.Result r = Launcher.run(Map.of("FINMIX_DATA_DIR", CORPORA.toString()), "ingest",
        "--sources", "conf/sources/public.conf", "--warehouse", WAREHOUSE, "--run-id", RUN);
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("total", "report:");
    Launcher.Result dedup = Launcher.run("dedup", "--warehouse", WAREHOUSE, "--run-id", RUN);
    assertThat(dedup.exitCode()).as(dedup.err()).isZero();
    Launcher.Result clean = Launcher.run("decontaminate", "--warehouse", WAREHOUSE, "--run-id",
        RUN);
    assertThat(clean.exitCode()).as(clean.err()).isZero();
    Launcher.Result mix = Launcher.run("mix", "--warehouse", WAREHOUSE, "--run-id", RUN);
    assertThat(mix.exitCode()).as(mix.err()).isZero();
    Launcher.Result bpe = Launcher.run("train-tokenizer", "--warehouse", WAREHOUSE, "--run-id",
        RUN, "--out", WAREHOUSE + "/bpe");
    assertThat(bpe.exitCode()).as(bpe.err()).isZero();
    Launcher.Result tokenize = Launcher.run("tokenize", "--warehouse", WAREHOUSE, "--run-id",
        RUN, "--tokenizer", QWEN3.toString(), "--seq-len", "1024");
    assertThat(tokenize.exitCode()).as(tokenize.err()).isZero();
    Launcher.Result chat = Launcher.run("tokenize", "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--tokenizer", QWEN3.toString(), "--seq-len", "1024", "--format", "chat", "--recipe",
        "target-only-fpb");
    assertThat(chat.exitCode()).as(chat.err()).isZero();
  }

  private static long removed(String source, String split, String reason) {
    return count("SELECT count(DISTINCT record_id) FROM finmix.corpus.duplicate_clusters WHERE "
        + "run_id = '%s' AND source = '%s' AND split LIKE '%s' AND reason = '%s' AND action = "
        + "'removed'", RUN, source, split, reason);
  }

  /**
   * Per group of byte-identical records (the raw text {@code key} columns), how many survived
   * dedup: the list of survivor counts of every group with more than one member.
   */
  private static java.util.List<Long> survivorsPerIdenticalGroup(String source, String key) {
    return sql("WITH r AS (SELECT record_id, run_id, %s AS k FROM finmix.corpus.records WHERE "
        + "run_id = '%s' AND source = '%s'), g AS (SELECT k FROM r GROUP BY k HAVING count(*) > "
        + "1) SELECT count(d.record_id) FROM r JOIN g ON r.k = g.k LEFT JOIN "
        + "finmix.corpus.deduped d ON d.record_id = r.record_id AND d.run_id = r.run_id "
        + "GROUP BY r.k", key, RUN, source).stream().map(x -> x.getLong(0)).toList();
  }

  @Test
  void dedupFindsTheDuplicatesAndConflictsSourceMdDocuments() {
    // FPB: the 6 exact duplicate rows (one survivor per pair), plus 3 pairs that differ only
    // in case or punctuation; the 2 sentences under both neutral and positive (a tie: both go).
    assertThat(survivorsPerIdenticalGroup("fpb", "concat(input, '|', label)"))
        .hasSize(6).containsOnly(1L);
    assertThat(removed("fpb", "%", "exact_duplicate")).isEqualTo(9);
    assertThat(removed("fpb", "%", "label_conflict")).isEqualTo(4);
    assertThat(count("SELECT count(*) FROM finmix.corpus.deduped WHERE run_id = '%s' AND input "
        + "LIKE 'TELECOMWORLDWIRE-7 April 2006-TJ Group Plc sells stake%%'", RUN)).isZero();
    // Alpaca demo: 14 extra copies in 13 groups.
    assertThat(survivorsPerIdenticalGroup("alpaca_demo", "concat(instruction, '|', input, '|', "
        + "output)")).hasSize(13).containsOnly(1L);
    assertThat(removed("alpaca_demo", "%", "exact_duplicate")).isEqualTo(14);
    // PIXIU FiQA: its ten templates of one text are one text (finmix's sentiment template
    // replaces the instruction, so sentiment compares by input: dedup.text_by_task). Each of
    // the 233 test texts (SOURCE.md) is held by exactly one test row (PIXIU's, or the raw FiQA
    // file's, the higher-priority source, where both have it); no split keeps a text twice.
    assertThat(sql("WITH t AS (SELECT DISTINCT input FROM finmix.corpus.records WHERE run_id = "
        + "'%s' AND source = 'pixiu_fiqasa' AND split = 'test') SELECT count(d.record_id) FROM t "
        + "LEFT JOIN finmix.corpus.deduped d ON d.run_id = '%s' AND d.split = 'test' AND d.input "
        + "= t.input GROUP BY t.input", RUN, RUN).stream().map(x -> x.getLong(0)))
        .hasSize(233).containsOnly(1L);
    assertThat(survivorsPerIdenticalGroup("pixiu_fiqasa", "concat(split, '|', input)"))
        .allMatch(n -> n <= 1);
    // ... 5 texts in train with two answers (SOURCE.md's 50 prompts); one of them is a valid
    // and test text too, so its training rows go as eval duplicates: 4 conflicts ...
    assertThat(count("SELECT count(DISTINCT cluster_id) FROM finmix.corpus.duplicate_clusters "
        + "WHERE run_id = '%s' AND source = 'pixiu_fiqasa' AND reason = 'label_conflict'", RUN))
        .isEqualTo(4);
    // ... and the train-test leaks (16 texts): no training row keeps a test row's text.
    assertThat(count("SELECT count(DISTINCT input) FROM finmix.corpus.records WHERE run_id = '%s' "
        + "AND source = 'pixiu_fiqasa' AND split = 'train' AND input IN (SELECT input FROM "
        + "finmix.corpus.records WHERE run_id = '%s' AND source = 'pixiu_fiqasa' AND split = "
        + "'test')", RUN, RUN)).isEqualTo(16);
    assertThat(count("SELECT count(*) FROM finmix.corpus.deduped WHERE run_id = '%s' AND source "
        + "= 'pixiu_fiqasa' AND split = 'train' AND input IN (SELECT input FROM "
        + "finmix.corpus.deduped WHERE run_id = '%s' AND source = 'pixiu_fiqasa' AND split = "
        + "'test')", RUN, RUN)).isZero();
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s'", RUN))
        .isEqualTo(count("SELECT count(*) FROM finmix.corpus.deduped WHERE run_id = '%s'", RUN)
            + count("SELECT count(DISTINCT record_id) FROM finmix.corpus.duplicate_clusters "
                + "WHERE run_id = '%s' AND action = 'removed'", RUN));
  }

  @Test
  void decontaminationRemovesTrainingRowsThatRepeatAnEvalRow() {
    // FiQA headlines reappear, under PIXIU's templates, in PIXIU's training split: compared
    // by input, dedup already takes them as eval duplicates of the FiQA file's eval rows.
    assertThat(count("SELECT count(DISTINCT d.record_id) FROM finmix.corpus.duplicate_clusters d "
        + "JOIN finmix.corpus.records k ON k.record_id = d.kept_record_id AND k.run_id = d.run_id "
        + "WHERE d.run_id = '%s' AND d.source = 'pixiu_fiqasa' AND d.split = 'train' AND "
        + "d.reason = 'eval_duplicate' AND k.source = 'fiqa_sa'", RUN)).isGreaterThan(100);
    assertThat(count("SELECT count(*) FROM finmix.corpus.clean c JOIN "
        + "finmix.corpus.contamination m ON m.record_id = c.record_id AND m.run_id = c.run_id "
        + "WHERE c.run_id = '%s'", RUN)).isZero();
    assertThat(count("SELECT count(*) FROM finmix.corpus.clean WHERE run_id = '%s' AND split = "
        + "'train' AND lower(trim(input)) IN (SELECT lower(trim(input)) FROM finmix.corpus.clean "
        + "WHERE run_id = '%s' AND split = 'test' AND input <> '')", RUN, RUN)).isZero();
    assertThat(count("SELECT count(*) FROM finmix.corpus.clean WHERE run_id = '%s' AND split "
        + "<> 'train'", RUN)).isEqualTo(count("SELECT count(*) FROM finmix.corpus.deduped WHERE "
            + "run_id = '%s' AND split <> 'train'", RUN));
  }

  @Test
  void everyBuiltInRecipeWithRowsIsMixedAsItsRecipeSays() {
    // The public corpora have no NWGI set: its recipe is skipped.
    assertThat(sql("SELECT DISTINCT recipe FROM finmix.corpus.mixtures WHERE run_id = '%s' "
        + "ORDER BY 1", RUN).stream().map(r -> r.getString(0)).toList()).containsExactly(
            "balanced", "finance", "finance+general", "finance+general+math", "finance+math",
            "pretrain", "target-only-fiqa_sa", "target-only-fpb", "target-only-headline",
            "target-only-ner", "target-only-numeric_qa", "target-only-sentiment",
            "target-only-tfns");
    // balanced: every financial source repeated towards the largest one's size (TFNS's
    // training rows, once), within 20 passes
    Map<String, Long> balanced = countBy("SELECT component, count(*) FROM "
        + "finmix.corpus.mixtures WHERE run_id = '%s' AND recipe = 'balanced' GROUP BY 1", RUN);
    long largest = balanced.values().stream().mapToLong(Long::longValue).max().orElseThrow();
    assertThat(balanced).containsKeys("fpb", "tfns", "fiqa_sa", "headlines", "ner", "finqa")
        .allSatisfy((component, n) -> assertThat(n).as(component)
            .isGreaterThan(largest / 3));
    // target-only: every clean training row of the dataset, once
    assertThat(count("SELECT count(*) FROM finmix.corpus.mixtures WHERE run_id = '%s' AND "
        + "recipe = 'target-only-fpb'", RUN)).isEqualTo(count("SELECT count(*) FROM "
        + "finmix.corpus.clean WHERE run_id = '%s' AND source = 'fpb' AND split = 'train'", RUN));
    assertThat(count("SELECT count(*) FROM finmix.corpus.mixtures WHERE run_id = '%s' AND "
        + "recipe = 'target-only-fpb' GROUP BY record_id ORDER BY 1 DESC LIMIT 1", RUN))
        .isEqualTo(1);
    // by tokens: the realised shares within 1% of the recipe's weights
    Map<String, Double> weights = Map.of("finance+general/finance", 0.8,
        "finance+general/general", 0.2, "finance+math/finance", 0.8, "finance+math/math", 0.2,
        "finance+general+math/finance", 0.7, "finance+general+math/general", 0.15,
        "finance+general+math/math", 0.15);
    for (Row r : sql("SELECT recipe || '/' || component, sum(tokens) / sum(sum(tokens)) OVER "
        + "(PARTITION BY recipe) FROM finmix.corpus.mixtures WHERE run_id = '%s' AND recipe IN "
        + "('finance+general', 'finance+math', 'finance+general+math') GROUP BY recipe, "
        + "component", RUN)) {
      assertThat(r.getDouble(1)).as(r.getString(0))
          .isCloseTo(weights.get(r.getString(0)), org.assertj.core.api.Assertions.within(0.01));
    }
    // no eval row is ever mixed in
    assertThat(count("SELECT count(*) FROM finmix.corpus.mixtures m JOIN finmix.corpus.clean c "
        + "ON c.record_id = m.record_id AND c.run_id = m.run_id WHERE m.run_id = '%s' AND "
        + "c.split <> 'train'", RUN)).isZero();
  }

  @Test
  void theTrainedTokenizerRoundTripsEveryRowOfThePublicCorpora() {
    String spec = WAREHOUSE + "/bpe/tokenizer.json";
    long rows = count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s'", RUN);
    List<String> broken = SPARK.sql("SELECT instruction, input, output FROM "
        + "finmix.corpus.records WHERE run_id = '" + RUN + "'").mapPartitions(
            (org.apache.spark.api.java.function.MapPartitionsFunction<Row, String>) it -> {
              io.finmix.model.tokenizer.TextTokenizer t =
                  io.finmix.model.tokenizer.Tokenizers.load(spec);
              List<String> bad = new java.util.ArrayList<>();
              while (it.hasNext()) {
                Row r = it.next();
                for (int i = 0; i < 3; i++) {
                  String x = r.isNullAt(i) ? "" : r.getString(i);
                  if (!t.decode(t.encode(x)).equals(x)) {
                    bad.add(x);
                  }
                }
              }
              return bad.iterator();
            }, org.apache.spark.sql.Encoders.STRING()).collectAsList();
    assertThat(rows).isGreaterThan(10_000);
    assertThat(broken).isEmpty();
  }

  private static io.finmix.model.tokenizer.TextTokenizer qwen3() {
    return io.finmix.model.tokenizer.Tokenizers.load(QWEN3.toString());
  }

  /** The ids of a packed sequence at the positions {@code keep} holds for. */
  private static int[] idsWhere(List<Integer> ids, java.util.function.IntPredicate keep) {
    return java.util.stream.IntStream.range(0, ids.size()).filter(keep).map(ids::get).toArray();
  }

  @Test
  void theMixturesPackIntoQwen3SequencesThatDecodeBackToTheirPrompts() {
    io.finmix.model.tokenizer.TextTokenizer qwen3 = qwen3();
    // every packed example: Qwen3's ids of prompt + answer, then <|im_end|>
    List<Row> sample = sql("SELECT s.input_ids, s.segment_ids, s.mixture_positions, s.recipe "
        + "FROM finmix.train.sequences s WHERE s.run_id = '%s' AND s.tokenizer_id = '%s' AND "
        + "s.recipe = 'finance+general+math' ORDER BY s.sequence_index LIMIT 20", RUN,
        qwen3.id());
    assertThat(sample).isNotEmpty();
    for (Row r : sample) {
      List<Integer> ids = r.getList(0);
      List<Integer> segments = r.getList(1);
      List<Long> members = r.getList(2);
      for (int m = 0; m < members.size(); m++) {
        int seg = m + 1;
        int[] ex = idsWhere(ids, i -> segments.get(i) == seg);
        assertThat(ex[ex.length - 1]).isEqualTo(qwen3.eosId());
        Row source = sql("SELECT prompt, answer FROM finmix.corpus.mixtures WHERE run_id = '%s' "
            + "AND recipe = '%s' AND position = %d", RUN, r.getString(3), members.get(m)).get(0);
        String full = source.getString(0) + source.getString(1);
        String decoded = qwen3.decode(java.util.Arrays.copyOf(ex, ex.length - 1));
        if (!decoded.equals(full)) {
          // a FinQA report longer than the sequence lost prompt tokens from its start
          // (tokenize.overlong = truncate_prompt): the rest is the text's end (the first
          // characters may be a cut multi-byte token)
          assertThat(ex.length).as("only a full-length example is truncated")
              .isGreaterThan(1000);
          assertThat(full).endsWith(decoded.substring(Math.min(8, decoded.length())));
        }
      }
    }
    // packing efficiency of the built-in recipes with 1024-token sequences
    for (Row r : sql("SELECT recipe, sum(tokens) / (count(*) * 1024) FROM "
        + "finmix.train.sequences WHERE run_id = '%s' AND tokenizer_id = '%s' GROUP BY recipe",
        RUN, qwen3.id())) {
      // FinQA's reports are few and long (many near or over 1024 tokens): they pack less well
      assertThat(r.getDouble(1)).as(r.getString(0)).isGreaterThanOrEqualTo(
          r.getString(0).equals("target-only-numeric_qa") ? 0.9 : 0.95);
    }
  }

  @Test
  void qwen3sChatTemplateFramesEveryExampleAndTheLossIsOnTheAnswerTurn() {
    io.finmix.model.tokenizer.TextTokenizer qwen3 = qwen3();
    List<Row> sequences = sql("SELECT input_ids, loss_mask, segment_ids, mixture_positions, "
        + "tokens, tokenizer_id FROM finmix.train.sequences WHERE run_id = '%s' AND recipe = "
        + "'target-only-fpb' AND tokenizer_id LIKE '%s+chat-%%'", RUN, qwen3.id());
    assertThat(sequences).isNotEmpty();
    Map<Long, Row> mixture = new java.util.HashMap<>();
    for (Row m : sql("SELECT position, prompt, answer FROM finmix.corpus.mixtures WHERE run_id "
        + "= '%s' AND recipe = 'target-only-fpb'", RUN)) {
      mixture.put(m.getLong(0), m);
    }
    long examples = 0;
    long tokens = 0;
    for (Row r : sequences) {
      List<Integer> ids = r.getList(0);
      List<Integer> mask = r.getList(1);
      List<Integer> segments = r.getList(2);
      List<Long> members = r.getList(3);
      tokens += r.getInt(4);
      for (int m = 0; m < members.size(); m++) {
        int seg = m + 1;
        int[] ex = idsWhere(ids, i -> segments.get(i) == seg);
        int[] answer = idsWhere(ids, i -> segments.get(i) == seg && mask.get(i) == 1);
        Row source = mixture.get(members.get(m));
        String reply = source.getString(2).strip() + "<|im_end|>\n";
        assertThat(qwen3.decode(ex)).isEqualTo("<|im_start|>user\n" + source.getString(1).strip()
            + "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n" + reply);
        assertThat(qwen3.decode(answer)).isEqualTo(reply);
        examples++;
      }
    }
    assertThat(examples).isEqualTo(mixture.size());
    assertThat(tokens / (sequences.size() * 1024.0)).isGreaterThanOrEqualTo(0.95);
  }

  private static Map<String, Long> countBy(String query, Object... args) {
    Map<String, Long> out = new TreeMap<>();
    for (Row r : sql(query, args)) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }

  private static Map<String, Long> labels(String source, String split) {
    return countBy("SELECT label, count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = '%s' AND split LIKE '%s' GROUP BY label", RUN, source, split);
  }

  @Test
  void sqlAnswersTheCountsPerSourceAndSplit() throws Exception {
    Launcher.Result sql = Launcher.run("sql", "--warehouse", WAREHOUSE, "-e",
        "SELECT source, split, count(*) FROM finmix.corpus.records GROUP BY 1, 2");
    assertThat(sql.exitCode()).as(sql.err()).isZero();
    Map<String, Long> counts = new TreeMap<>();
    for (String line : sql.out().strip().split("\n")) {
      String[] f = line.split("\t");
      counts.put(f[0] + "/" + f[1], Long.parseLong(f[2]));
    }
    // Own splits, as SOURCE.md counts them (CSV records, not physical lines, for TFNS).
    assertThat(counts).containsEntry("tfns/train", 9543L).containsEntry("tfns/test", 2388L)
        .containsEntry("gsm8k/train", 7473L).containsEntry("gsm8k/test", 1319L)
        .containsEntry("pixiu_fiqasa/train", 7500L).containsEntry("pixiu_fiqasa/valid", 1880L)
        .containsEntry("pixiu_fiqasa/test", 2350L).containsEntry("svamp/test", 1000L)
        .containsEntry("alpaca_seed/train", 175L);
    // Hash-split sources: the totals.
    Map<String, Long> totals = new TreeMap<>();
    counts.forEach((k, v) -> totals.merge(k.substring(0, k.indexOf('/')), v, Long::sum));
    assertThat(totals).isEqualTo(Map.ofEntries(Map.entry("fpb", 4846L),
        Map.entry("tfns", 11931L), Map.entry("fiqa_sa", 498L), Map.entry("pixiu_fiqasa", 11730L),
        Map.entry("gsm8k", 8792L), Map.entry("svamp", 1000L), Map.entry("alpaca_demo", 999L),
        Map.entry("alpaca_seed", 175L), Map.entry("pixiu_headlines", 10260L),
        Map.entry("pixiu_ner", 1030L), Map.entry("pixiu_finqa", 873L)));
    assertThat(counts.get("fpb/train")).isBetween(3700L, 4050L);
  }

  @Test
  void onlyFinqasTenWordAnswersAreQuarantined() {
    // FinQA's 10 yes/no answers are not numbers (label_format = number); nothing else goes
    assertThat(countBy("SELECT concat(source, '/', reason), count(*) FROM "
        + "finmix.corpus.quarantine WHERE run_id = '%s' GROUP BY 1", RUN))
        .isEqualTo(Map.of("pixiu_finqa/bad_value", 10L));
  }

  /** Distinct values of {@code expr} per split of a source's records. */
  private static Map<String, Long> distinctPerSplit(String source, String expr) {
    return countBy("SELECT split, count(DISTINCT " + expr + ") FROM finmix.corpus.records WHERE "
        + "run_id = '%s' AND source = '" + source + "' GROUP BY split", RUN);
  }

  /** How many values of {@code expr} of a source's records appear in more than one split. */
  private static long straddling(String source, String expr) {
    return count("SELECT count(*) FROM (SELECT " + expr + " FROM finmix.corpus.records WHERE "
        + "run_id = '%s' AND source = '" + source + "' GROUP BY 1 HAVING count(DISTINCT split) > "
        + "1)", RUN);
  }

  @Test
  void pixiuHeadlinesNerAndFinqaAsSourceMdCountsThem() {
    // headlines: 10,260 records, 1,124 headlines x 9 question types, No 6,932 / Yes 3,328
    assertThat(labels("pixiu_headlines", "%")).isEqualTo(Map.of("No", 6932L, "Yes", 3328L));
    assertThat(distinctPerSplit("pixiu_headlines", "input").values().stream()
        .mapToLong(Long::longValue).sum()).isEqualTo(1124);
    assertThat(count("SELECT count(DISTINCT attributes['question']) FROM finmix.corpus.records "
        + "WHERE run_id = '%s' AND source = 'pixiu_headlines'", RUN)).isEqualTo(9);
    assertThat(count("SELECT count(DISTINCT instruction) FROM finmix.corpus.records WHERE "
        + "run_id = '%s' AND source = 'pixiu_headlines'", RUN)).isEqualTo(90);
    assertThat(count("SELECT sum(if(attributes['question'] LIKE '%%future events%%' AND label = "
        + "'Yes', 1, 0)) FROM finmix.corpus.records WHERE run_id = '%s' AND source = "
        + "'pixiu_headlines'", RUN)).as("FutureNews is Yes 7 times").isEqualTo(7);
    // NER: 1,030 records, 103 sentences x 10 templates; every answer names an entity
    assertThat(distinctPerSplit("pixiu_ner", "input").values().stream()
        .mapToLong(Long::longValue).sum()).isEqualTo(103);
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND source "
        + "= 'pixiu_ner' AND output NOT RLIKE ', (PER|ORG|LOC)'", RUN)).isZero();
    // FinQA: 883 records less the 10 word answers, 299 reports
    assertThat(distinctPerSplit("pixiu_finqa", "input").values().stream()
        .mapToLong(Long::longValue).sum()).isEqualTo(299);
    // one headline, one NER sentence, one FinQA report: one split
    for (String source : List.of("pixiu_headlines", "pixiu_ner", "pixiu_finqa")) {
      assertThat(straddling(source, "input")).as(source).isZero();
      assertThat(distinctPerSplit(source, "input")).as(source).containsKeys("train", "valid",
          "test");
    }
  }

  @Test
  void questionsThatAskDifferentThingsAreNeverDuplicatesOfEachOther() {
    // the nine questions about one headline and the questions about one FinQA report differ
    // in a few words and often share an answer: no removed row went for a row asking another
    // question ...
    assertThat(count("SELECT count(*) FROM finmix.corpus.duplicate_clusters c JOIN "
        + "finmix.corpus.records r ON r.record_id = c.record_id AND r.run_id = c.run_id JOIN "
        + "finmix.corpus.records k ON k.record_id = c.kept_record_id AND k.run_id = c.run_id "
        + "WHERE c.run_id = '%s' AND c.action = 'removed' AND c.source IN ('pixiu_headlines', "
        + "'pixiu_finqa') AND r.attributes['question'] <> k.attributes['question']", RUN))
        .isZero();
    // ... so every distinct question about a FinQA report is still asked after dedup (a
    // headline's question can go as a near duplicate of the same question about a near-identical
    // headline: "gold to trade higher today" / "gold may trade higher today")
    assertThat(count("SELECT count(DISTINCT input, attributes['question']) FROM "
        + "finmix.corpus.deduped WHERE run_id = '%s' AND source = 'pixiu_finqa'", RUN))
        .isEqualTo(count("SELECT count(DISTINCT input, attributes['question']) FROM "
            + "finmix.corpus.records WHERE run_id = '%s' AND source = 'pixiu_finqa'", RUN));
    // and every headline is still asked every one of its question types but for those lost
    // to another headline's same question (near, or the same headline in other case), or to a
    // label conflict (one headline, two answers)
    assertThat(count("SELECT count(*) FROM (SELECT input, attributes['question'] FROM "
        + "finmix.corpus.records WHERE run_id = '%s' AND source = 'pixiu_headlines' EXCEPT "
        + "SELECT input, attributes['question'] FROM finmix.corpus.deduped WHERE run_id = '%s' "
        + "AND source = 'pixiu_headlines' EXCEPT SELECT r.input, r.attributes['question'] FROM "
        + "finmix.corpus.duplicate_clusters c JOIN finmix.corpus.records r ON r.record_id = "
        + "c.record_id AND r.run_id = c.run_id LEFT JOIN finmix.corpus.records k ON "
        + "k.record_id = c.kept_record_id AND k.run_id = c.run_id WHERE c.run_id = '%s' AND "
        + "c.action = 'removed' AND (c.reason = 'label_conflict' OR (c.reason IN "
        + "('near_duplicate', 'exact_duplicate') AND r.input <> k.input)))", RUN, RUN, RUN))
        .isZero();
    // FinQA's 7 duplicate prompts are exact duplicates, as SOURCE.md counts them
    assertThat(removed("pixiu_finqa", "%", "exact_duplicate")).isEqualTo(7);
  }

  @Test
  void financialPhraseBank() {
    assertThat(labels("fpb", "%")).isEqualTo(Map.of("neutral", 2879L, "positive", 1363L,
        "negative", 604L));
    assertThat(count("SELECT count(DISTINCT input) FROM finmix.corpus.records WHERE run_id = '%s' "
        + "AND source = 'fpb'", RUN)).isEqualTo(4838);
    // cp1252, not UTF-8: the first non-UTF-8 byte (0xC6 at offset 2596) decodes to Æ.
    Row first = sql("SELECT input, source_offset FROM finmix.corpus.records WHERE run_id = '%s' "
        + "AND source = 'fpb' AND source_offset <= 2596 ORDER BY source_offset DESC LIMIT 1", RUN)
        .get(0);
    assertThat(first.getString(0)).contains("\u00c6");
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = 'fpb' AND input LIKE '%%\ufffd%%'", RUN)).isZero();
    assertThat(count("SELECT count(DISTINCT text_hash) FROM finmix.corpus.records WHERE "
        + "run_id = '%s' AND source = 'fpb' AND input IN (SELECT input FROM finmix.corpus.records "
        + "WHERE source = 'fpb' GROUP BY input HAVING count(DISTINCT label) > 1)", RUN))
        .as("the two sentences with conflicting labels").isEqualTo(2);
  }

  @Test
  void twitterFinancialNewsSentiment() {
    assertThat(labels("tfns", "train")).isEqualTo(Map.of("negative", 1442L, "positive", 1923L,
        "neutral", 6178L));
    assertThat(labels("tfns", "test")).isEqualTo(Map.of("negative", 347L, "positive", 475L,
        "neutral", 1566L));
    assertThat(countBy("SELECT split, count(*) FROM finmix.corpus.records WHERE run_id = '%s' "
        + "AND source = 'tfns' AND input LIKE '%%\n%%' GROUP BY split", RUN))
        .as("tweets that span lines").isEqualTo(Map.of("train", 184L, "test", 43L));
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = 'tfns' AND input LIKE '%%\r%%'", RUN)).isZero();
  }

  @Test
  void fiqaHeadlines() {
    assertThat(labels("fiqa_sa", "%")).isEqualTo(Map.of("negative", 118L, "neutral", 143L,
        "positive", 237L));
    assertThat(count("SELECT count(DISTINCT input) FROM finmix.corpus.records WHERE run_id = '%s' "
        + "AND source = 'fiqa_sa'", RUN)).isEqualTo(436);
    Row tesco = sql("SELECT collect_list(concat(attributes['target'], '=', "
        + "attributes['sentiment_score'])) FROM (SELECT * FROM finmix.corpus.records WHERE "
        + "run_id = '%s' AND source = 'fiqa_sa' AND input = 'Tesco sells Blinkbox and broadband "
        + "service to TalkTalk' ORDER BY source_item)", RUN).get(0);
    assertThat(tesco.getList(0)).containsExactly("TalkTalk=0.136", "Tesco=0.192");
  }

  @Test
  void pixiuFiqaSentiment() {
    assertThat(labels("pixiu_fiqasa", "train")).isEqualTo(Map.of("positive", 4570L,
        "negative", 2350L, "neutral", 580L));
    assertThat(labels("pixiu_fiqasa", "valid")).isEqualTo(Map.of("positive", 1210L,
        "negative", 520L, "neutral", 150L));
    assertThat(labels("pixiu_fiqasa", "test")).isEqualTo(Map.of("positive", 1410L,
        "negative", 760L, "neutral", 180L));
    assertThat(count("SELECT count(DISTINCT instruction) FROM finmix.corpus.records WHERE "
        + "run_id = '%s' AND source = 'pixiu_fiqasa'", RUN)).isEqualTo(20);
    assertThat(countBy("SELECT split, count(DISTINCT input) FROM finmix.corpus.records WHERE "
        + "run_id = '%s' AND source = 'pixiu_fiqasa' GROUP BY split", RUN))
        .isEqualTo(Map.of("train", 724L, "valid", 186L, "test", 233L));
  }

  @Test
  void mathWordProblems() {
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = 'gsm8k' AND output RLIKE '#### -?[0-9]{1,3}(,[0-9]{3})+$'", RUN))
        .as("answers with thousands separators").isEqualTo(93);
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = 'gsm8k' AND NOT label RLIKE '^-?[0-9]+$'", RUN)).isZero();
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = 'gsm8k' AND label LIKE '-%%'", RUN)).isEqualTo(5);
    Row natalia = sql("SELECT label, split FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = 'gsm8k' AND input LIKE 'Natalia sold clips%%'", RUN).get(0);
    assertThat(natalia.toString()).isEqualTo("[72,train]");
    Row svamp = sql("SELECT input, label, attributes['equation'] FROM finmix.corpus.records "
        + "WHERE run_id = '%s' AND source = 'svamp' AND input LIKE 'Each pack of dvds costs 76%%'",
        RUN).get(0);
    assertThat(svamp.getString(0)).endsWith("on each pack How much do you have to pay to buy "
        + "each pack?");
    assertThat(svamp.getString(1)).isEqualTo("51");
    assertThat(svamp.getString(2)).isEqualTo("( 76.0 - 25.0 )");
  }

  @Test
  void instructionData() {
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = 'alpaca_demo' AND input = ''", RUN)).isEqualTo(587);
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = 'alpaca_seed' AND attributes['is_classification'] = 'true'", RUN))
        .isEqualTo(26);
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = 'alpaca_seed' AND input = ''", RUN)).isEqualTo(50);
    assertThat(count("SELECT count(*) - count(DISTINCT text_hash, output) FROM "
        + "finmix.corpus.records WHERE run_id = '%s' AND source = 'alpaca_demo'", RUN))
        .as("the 14 extra exact duplicates").isEqualTo(14);
  }

  @Test
  void recordsCarryTheirProvenance() throws Exception {
    Row tfns = sql("SELECT source_file, source_offset FROM finmix.corpus.records WHERE "
        + "run_id = '%s' AND source = 'tfns' AND split = 'train' ORDER BY source_offset LIMIT 1",
        RUN).get(0);
    assertThat(tfns.getString(0)).endsWith("tfns/sent_train.csv");
    byte[] raw = Files.readAllBytes(CORPORA.resolve("tfns/sent_train.csv"));
    assertThat(tfns.getLong(1)).isEqualTo(new String(raw, 0, 20, "UTF-8").indexOf('\n') + 1);
  }
}
