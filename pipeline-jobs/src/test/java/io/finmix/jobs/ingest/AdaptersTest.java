package io.finmix.jobs.ingest;

import static io.finmix.jobs.ingest.IngestFixtures.outcomes;
import static io.finmix.jobs.ingest.IngestFixtures.quarantined;
import static io.finmix.jobs.ingest.IngestFixtures.records;
import static io.finmix.jobs.ingest.IngestFixtures.spec;
import static io.finmix.jobs.ingest.IngestFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each adapter preset of conf/adapters.conf on small generated files in its native layout. */
class AdaptersTest {

  @TempDir
  Path dir;

  @Test
  void fpbCsv() {
    write(dir, "fpb/all-data.csv", ("neutral,\"According to Gran , the company has no plans .\"\r\n"
        + "positive,Profit rose 5 % .\r\n"
        + "mixed,Who knows .\r\n"
        + "negative,\r\n").getBytes(Charset.forName("windows-1252")));
    List<IngestOutcome> out = outcomes(spec(dir, "adapter = fpb_csv, files = [fpb/all-data.csv], "
        + "split { hash { train = 0.8, valid = 0.1, test = 0.1 }, seed = 1 }, license = L"));
    List<IngestOutcome> records = records(out);
    assertThat(records).extracting(r -> r.label).containsExactly("neutral", "positive");
    IngestOutcome first = records.get(0);
    assertThat(first.input).isEqualTo("According to Gran , the company has no plans .");
    assertThat(first.output).isEqualTo("neutral");
    assertThat(first.instruction).isNull();
    assertThat(first.choices).containsExactly("negative", "neutral", "positive");
    assertThat(first.task).isEqualTo("sentiment");
    assertThat(first.domain).isEqualTo("finance");
    assertThat(first.license).isEqualTo("L");
    assertThat(first.split).isIn("train", "valid", "test");
    assertThat(first.recordId).hasSize(32).matches("[0-9a-f]+");
    assertThat(quarantined(out)).extracting(q -> q.reason)
        .containsExactly("unknown_label", "empty_text");
  }

  @Test
  void fpbTxtKeepsTheAgreementLevelFromTheFileName() {
    write(dir, "Sentences_50Agree.txt", "Sales grew .@positive\r\n".getBytes(
        Charset.forName("ISO-8859-1")));
    write(dir, "Sentences_AllAgree.txt", "Sepp\u00e4l\u00e4 left .@neutral\r\n".getBytes(
        Charset.forName("ISO-8859-1")));
    List<IngestOutcome> records = records(outcomes(spec(dir, "adapter = fpb_txt, "
        + "files = [\"Sentences_*Agree.txt\"], split = train")));
    assertThat(records).extracting(r -> r.attributes.get("agreement")).containsExactly("50", "100");
    assertThat(records.get(1).input).isEqualTo("Sepp\u00e4l\u00e4 left .");
  }

  @Test
  void tfnsMapsTheNumericLabelsAndKeepsTheRawOne() {
    write(dir, "sent_train.csv", "text,label\r\n\"$AAPL up\nmore\",1\r\n$X flat,2\r\n$Y down,0\r\n");
    List<IngestOutcome> records = records(outcomes(spec(dir, "adapter = tfns_csv, "
        + "files = [sent_train.csv], split = train")));
    assertThat(records).extracting(r -> r.label).containsExactly("positive", "neutral", "negative");
    assertThat(records).extracting(r -> r.attributes.get("raw_label")).containsExactly("1", "2", "0");
    assertThat(records.get(0).input).isEqualTo("$AAPL up\nmore");
  }

  @Test
  void aSourceKeyReplacesThePresetKeyWhole() {
    write(dir, "t.csv", "text,label\nup,bullish\nold,1\n");
    List<IngestOutcome> out = outcomes(spec(dir, "adapter = tfns_csv, files = [t.csv], "
        + "split = train, labels { bullish = positive, bearish = negative }"));
    assertThat(records(out)).extracting(r -> r.label).containsExactly("positive");
    assertThat(quarantined(out)).extracting(q -> q.reason).containsExactly("unknown_label");
  }

  @Test
  void aLabelIndexMayBeTextAsCsvGivesIt() {
    write(dir, "g.csv", "text,gold\nup,0\ndown,1\nodd,1.5\n");
    List<IngestOutcome> out = outcomes(spec(dir, "adapter = generic, format = csv, "
        + "files = [g.csv], fields { input = text }, choices = [Yes, No], label_index = gold, "
        + "split = train, task = headline, domain = finance"));
    assertThat(records(out)).extracting(r -> r.label).containsExactly("Yes", "No");
    assertThat(quarantined(out)).extracting(q -> q.reason).containsExactly("bad_value");
  }

  @Test
  void fiqaGivesOneRecordPerTargetWithScoreThresholds() {
    write(dir, "fiqa.json", "{\n"
        + "\"1\": {\"sentence\": \"A up, B down\", \"info\": [\n"
        + "   {\"snippets\": \"['up']\", \"target\": \"A\", \"sentiment_score\": \"0.201\", \"aspects\": \"['Stock']\"},\n"
        + "   {\"snippets\": \"['down']\", \"target\": \"B\", \"sentiment_score\": \"-0.21\", \"aspects\": \"['Stock']\"}]},\n"
        + "\"5\": {\"sentence\": \"C flat\", \"info\": [{\"target\": \"C\", \"sentiment_score\": \"-0.2\"},\n"
        + "   {\"target\": \"D\", \"sentiment_score\": \"0.2\"}, {\"sentiment_score\": \"0.5\"},\n"
        + "   {\"target\": \"E\", \"sentiment_score\": \"n/a\"}]}\n}");
    List<IngestOutcome> out = outcomes(spec(dir, "adapter = fiqa_sa_json, files = [fiqa.json], "
        + "split = train"));
    List<IngestOutcome> records = records(out);
    assertThat(records).extracting(r -> r.attributes.get("target") + "=" + r.label)
        .containsExactly("A=positive", "B=negative", "C=neutral", "D=neutral");
    assertThat(records.get(0).attributes).containsEntry("sentiment_score", "0.201")
        .containsEntry("aspects", "['Stock']");
    assertThat(records).extracting(r -> r.sourceItem).containsExactly(0, 1, 0, 1);
    assertThat(records).extracting(r -> r.recordId).doesNotHaveDuplicates();
    assertThat(records.get(0).textHash).isEqualTo(records.get(1).textHash);
    assertThat(quarantined(out)).extracting(q -> q.reason + "@" + q.sourceItem)
        .containsExactly("missing_field@2", "bad_value@3");
    assertThat(out.stream().filter(o -> o.firstOfRaw).count()).isEqualTo(2);
  }

  @Test
  void gsm8kTakesTheFinalAnswerAfterTheHashes() {
    write(dir, "gsm8k.jsonl", "{\"question\": \"How many?\", \"answer\": \"3 * 360 = <<3*360=1080>>1080\\n#### 1,080\"}\n"
        + "{\"question\": \"Debt?\", \"answer\": \"#### -7\"}\n"
        + "{\"question\": \"No final?\", \"answer\": \"It is 4.\"}\n");
    List<IngestOutcome> out = outcomes(spec(dir, "adapter = gsm8k_jsonl, files = [gsm8k.jsonl], "
        + "split = train"));
    assertThat(records(out)).extracting(r -> r.label).containsExactly("1080", "-7");
    assertThat(records(out).get(0).output).endsWith("#### 1,080");
    assertThat(records(out).get(0).domain).isEqualTo("math");
    assertThat(quarantined(out)).extracting(q -> q.reason).containsExactly("missing_field");
  }

  @Test
  void svampJoinsBodyAndQuestionAndNormalisesTheAnswer() {
    write(dir, "SVAMP.json", "[{\"ID\": \"chal-1\", \"Body\": \"Each pack costs 76 dollars\", "
        + "\"Question\": \"How much?\", \"Equation\": \"( 76.0 - 25.0 )\", \"Answer\": 51.0, "
        + "\"Type\": \"Subtraction\"}, {\"ID\": \"chal-2\", \"Body\": \"x\", \"Question\": \"y\", "
        + "\"Answer\": 2.5}]");
    List<IngestOutcome> records = records(outcomes(spec(dir, "adapter = svamp_json, "
        + "files = [SVAMP.json], split = test")));
    assertThat(records.get(0).input).isEqualTo("Each pack costs 76 dollars How much?");
    assertThat(records).extracting(r -> r.label).containsExactly("51", "2.5");
    assertThat(records.get(0).output).isEqualTo("51");
    assertThat(records.get(0).attributes).containsEntry("equation", "( 76.0 - 25.0 )")
        .containsEntry("type", "Subtraction");
    assertThat(records.get(0).split).isEqualTo("test");
  }

  @Test
  void alpacaAllowsAnEmptyInputButNotAnEmptyInstruction() {
    write(dir, "alpaca.json", "[{\"instruction\": \"Name a color.\", \"input\": \"\", "
        + "\"output\": \"Blue.\"}, {\"instruction\": \"\", \"input\": \"x\", \"output\": \"y\"}]");
    List<IngestOutcome> out = outcomes(spec(dir, "adapter = alpaca_json, files = [alpaca.json], "
        + "split = train"));
    assertThat(records(out)).singleElement().satisfies(r -> {
      assertThat(r.instruction).isEqualTo("Name a color.");
      assertThat(r.input).isEmpty();
      assertThat(r.output).isEqualTo("Blue.");
      assertThat(r.label).isNull();
      assertThat(r.choices).isNull();
    });
    assertThat(quarantined(out)).extracting(q -> q.reason).containsExactly("empty_text");
  }

  @Test
  void aHashSplitHashesTheInstructionToo() {
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < 200; i++) {
      json.append(i == 0 ? "" : ",").append("{\"instruction\": \"Name color number ").append(i)
          .append(".\", \"input\": \"\", \"output\": \"Blue.\"}");
    }
    write(dir, "many.json", json.append("]").toString());
    List<IngestOutcome> records = records(outcomes(spec(dir, "adapter = alpaca_json, "
        + "files = [many.json], split { hash { train = 0.5, test = 0.5 }, seed = 3 }")));
    assertThat(records.stream().filter(r -> r.split.equals("train")).count()).isBetween(70L, 130L);
  }

  @Test
  void nestedInstructionsGiveOneRecordPerInstance() {
    write(dir, "seed_tasks.jsonl", "{\"id\": \"seed_task_0\", \"name\": \"antonym\", "
        + "\"instruction\": \"Give the antonym.\", \"instances\": [{\"input\": \"hot\", "
        + "\"output\": \"cold\"}, {\"input\": \"up\", \"output\": \"down\"}], "
        + "\"is_classification\": false}\n");
    List<IngestOutcome> records = records(outcomes(spec(dir, "adapter = instruction_jsonl, "
        + "files = [seed_tasks.jsonl], split = train")));
    assertThat(records).extracting(r -> r.input + ">" + r.output).containsExactly("hot>cold", "up>down");
    assertThat(records).extracting(r -> r.attributes.get("name")).containsOnly("antonym");
    assertThat(records.get(0).attributes).containsEntry("is_classification", "false");
    assertThat(records).extracting(r -> r.recordId).doesNotHaveDuplicates();
  }

  @Test
  void finbenQueriesSplitIntoInstructionAndInputWithTheGoldChoice() {
    write(dir, "fpb.jsonl", "{\"id\": \"fpb1\", \"query\": \"Analyze the sentiment. Answer "
        + "negative, positive or neutral.\\nText: Sales grew .\\nAnswer:\", \"answer\": \"positive\", "
        + "\"text\": \"Sales grew .\", \"choices\": [\"positive\", \"neutral\", \"negative\"], "
        + "\"gold\": 0}\n{\"id\": \"fpb2\", \"query\": \"Q\\nText: x\\nAnswer:\", \"answer\": \"neutral\", "
        + "\"text\": \"x\", \"choices\": [\"positive\", \"neutral\", \"negative\"], \"gold\": 9}\n");
    List<IngestOutcome> out = outcomes(spec(dir, "adapter = pixiu_jsonl, files = [fpb.jsonl], "
        + "split = test"));
    assertThat(records(out)).singleElement().satisfies(r -> {
      assertThat(r.instruction).isEqualTo("Analyze the sentiment. Answer negative, positive or neutral.");
      assertThat(r.input).isEqualTo("Sales grew .");
      assertThat(r.label).isEqualTo("positive");
      assertThat(r.output).isEqualTo("positive");
      assertThat(r.choices).containsExactly("positive", "neutral", "negative");
    });
    assertThat(quarantined(out)).extracting(q -> q.reason).containsExactly("bad_value");
  }

  @Test
  void pixiuConversationsMapTheAgentAnswerToACanonicalLabel() {
    write(dir, "train.jsonl", "{\"id\": \"fiqasa0\", \"conversations\": [{\"from\": \"human\", "
        + "\"value\": \"What is the sentiment of the following financial post: Positive, Negative, "
        + "or Neutral?\\nText: Whats up with $LULU?  Numbers looked good.\\nAnswer:\"}, "
        + "{\"from\": \"agent\", \"value\": \"Neutral\"}]}\n");
    List<IngestOutcome> records = records(outcomes(spec(dir, "adapter = pixiu_conversations_jsonl, "
        + "files = [train.jsonl], split = train, choices = [negative, neutral, positive], "
        + "labels { Positive = positive, Negative = negative, Neutral = neutral }")));
    assertThat(records).singleElement().satisfies(r -> {
      assertThat(r.instruction).startsWith("What is the sentiment").endsWith("or Neutral?");
      assertThat(r.input).isEqualTo("Whats up with $LULU?  Numbers looked good.");
      assertThat(r.label).isEqualTo("neutral");
      assertThat(r.attributes).containsEntry("raw_label", "Neutral");
    });
  }

  /** One PIXIU conversation line: a human prompt and the answer under {@code role}. */
  private static String conversation(String id, String prompt, String role, String answer) {
    return "{\"id\": \"" + id + "\", \"conversations\": [{\"from\": \"human\", \"value\": "
        + com.fasterxml.jackson.databind.node.TextNode.valueOf(prompt) + "}, {\"from\": \""
        + role + "\", \"value\": \"" + answer + "\"}]}\n";
  }

  @Test
  void pixiuHeadlinesKeepEachHeadlinesQuestionsInOneSplitAndNameTheQuestion() {
    // conf/sources/public.conf as shipped: 60 headlines, each asked three of the nine questions
    String[] questions = {
        "Look for indications that the price of gold is increasing.. Does the news headline "
            + "suggest a Direction Up for gold? Your response should be Yes or No.",
        "Look for indications that the price of gold is decreasing.. Does the news headline "
            + "suggest a Direction Down for gold? Your response should be Yes or No.",
        "Consider whether the headline mentions the price of gold.. Is there a Price or Not in "
            + "the gold commodity market indicated in the news headline? Please answer Yes or No."};
    StringBuilder lines = new StringBuilder();
    int id = 0;
    for (int h = 0; h < 60; h++) {
      for (String q : questions) {
        lines.append(conversation("headlines" + id++, q + "\nText: gold climbs " + h
            + " dollars on weak dollar\nAnswer:", "agent", id % 2 == 0 ? "Yes" : "No"));
      }
    }
    write(dir, "pixiu_headlines/valid.jsonl", lines.toString());
    List<SourceSpec> specs = SourcesFile.load("sources/public.conf", dir.toString(),
        List.of("pixiu_headlines"), 100_000);
    List<IngestOutcome> records = records(outcomes(specs.get(0)));
    assertThat(records).hasSize(180);
    assertThat(records).extracting(r -> r.attributes.get("question")).containsOnly(
        "Look for indications that the price of gold is increasing",
        "Look for indications that the price of gold is decreasing",
        "Consider whether the headline mentions the price of gold");
    assertThat(records).extracting(r -> r.label).containsOnly("Yes", "No");
    Map<String, java.util.Set<String>> splitsPerHeadline = new java.util.TreeMap<>();
    records.forEach(r -> splitsPerHeadline.computeIfAbsent(r.input, k -> new java.util.TreeSet<>())
        .add(r.split));
    assertThat(splitsPerHeadline).hasSize(60).allSatisfy((h, splits) ->
        assertThat(splits).as(h).hasSize(1));
    assertThat(splitsPerHeadline.values().stream().flatMap(java.util.Set::stream).distinct())
        .contains("train", "test");
  }

  @Test
  void pixiuFinqaAsksTheQuestionAboutTheReportAndQuarantinesWordAnswers() {
    String report = "Please answer the given financial question based on the context.\n"
        + "Context: revenue rose in 2019 . | year | 2019 | 2018 |\n| revenue | 120 | 100 |\n";
    write(dir, "pixiu_finqa/valid.jsonl", conversation("finqa0", report
        + "Question: what was the change in revenue?\nAnswer:", "assistant", "20.0")
        + conversation("finqa1", report + "Question: what was the percent change?\nAnswer:",
            "assistant", "0.2") + conversation("finqa2", report + "Question: did revenue "
            + "rise?\nAnswer:", "assistant", "yes"));
    write(dir, "pixiu_ner/valid.jsonl", conversation("ner0", "Identify the named entities."
        + "\nText: ACME Corp lends to John Smith .\nAnswer:", "assistant",
        "ACME Corp, ORG\\nJohn Smith, PER"));
    List<SourceSpec> specs = SourcesFile.load("sources/public.conf", dir.toString(),
        List.of("pixiu_finqa", "pixiu_ner"), 100_000);
    List<IngestOutcome> finqa = outcomes(specs.get(0));
    assertThat(records(finqa)).hasSize(2).allSatisfy(r -> {
      assertThat(r.instruction).startsWith("what was the");
      assertThat(r.input).startsWith("revenue rose in 2019").endsWith("| 100 |");
      assertThat(r.attributes.get("question")).isEqualTo(r.instruction);
      assertThat(r.split).isEqualTo(records(finqa).get(0).split);
    });
    assertThat(records(finqa)).extracting(r -> r.label).containsExactly("20", "0.2");
    assertThat(quarantined(finqa)).extracting(q -> q.reason).containsExactly("bad_value");
    assertThat(records(outcomes(specs.get(1)))).singleElement().satisfies(r -> {
      assertThat(r.input).isEqualTo("ACME Corp lends to John Smith .");
      assertThat(r.output).isEqualTo("ACME Corp, ORG\nJohn Smith, PER");
      assertThat(r.label).isNull();
    });
  }

  @Test
  void genericMappingIsConfigOnly() {
    write(dir, "ner.jsonl", "{\"uid\": 1, \"doc\": {\"tokens\": [\"ACME\", \"buys\", \"Beta\"], "
        + "\"split\": \"validation\"}, \"ents\": [[\"ACME\", \"ORG\"], [\"Beta\", \"ORG\"]]}\n");
    List<IngestOutcome> records = records(outcomes(spec(dir, "adapter = generic, format = jsonl, "
        + "files = [ner.jsonl], fields { input = doc.tokens, output = ents }, input_join = \" \", "
        + "split { field = doc.split, values { validation = valid } }, key = [uid], "
        + "task = ner, domain = finance, attributes { first = \"ents[0][0]\" }")));
    assertThat(records).singleElement().satisfies(r -> {
      assertThat(r.input).isEqualTo("ACME\nbuys\nBeta");
      assertThat(r.output).isEqualTo("ACME | ORG\nBeta | ORG");
      assertThat(r.split).isEqualTo("valid");
      assertThat(r.attributes).isEqualTo(Map.of("first", "ACME"));
    });
  }

  @Test
  void idsAreStableAndNamespacedBySource() {
    write(dir, "t.csv", "text,label\nsame text,1\nsame text,2\n");
    String body = "adapter = tfns_csv, files = [t.csv], split = train";
    List<IngestOutcome> a = records(outcomes(spec(dir, body)));
    List<IngestOutcome> again = records(outcomes(spec(dir, body)));
    List<IngestOutcome> other = records(outcomes(IngestFixtures.specs(dir, "other { " + body
        + " }").get(0)));
    assertThat(a).extracting(r -> r.recordId).doesNotHaveDuplicates()
        .containsExactlyElementsOf(again.stream().map(r -> r.recordId).toList())
        .doesNotContainAnyElementsOf(other.stream().map(r -> r.recordId).toList());
    assertThat(a.get(0).textHash).isEqualTo(a.get(1).textHash);
  }
}
