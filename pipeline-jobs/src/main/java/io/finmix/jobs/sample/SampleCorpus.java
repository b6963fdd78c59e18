package io.finmix.jobs.sample;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Writes a small generated corpus in every native format finmix reads, laid out like the public
 * corpora, with a few deliberately bad rows per source. {@code conf/sources/sample.conf}
 * declares these files. Deterministic: the same seed and scale write the same bytes.
 *
 * <p>{@link #write} returns, per source, the raw rows written and the bad rows planted by
 * reason, so tests can check ingest against what was planted.
 */
public final class SampleCorpus {

  /** What was written for one source of sample.conf. */
  public static final class Planted {
    public final List<String> files = new ArrayList<>();
    /** Raw rows (lines, CSV records, JSON elements); a FiQA headline counts once. */
    public long rawRows;
    /** Units: records plus bad units (a FiQA target is one unit). */
    public long units;
    public final TreeMap<String, Long> bad = new TreeMap<>();

    void bad(String reason) {
      bad.merge(reason, 1L, Long::sum);
    }

    /** The records ingest should keep. */
    public long records() {
      return units - bad.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private static final Charset CP1252 = Charset.forName("windows-1252");
  /** Where the bad rows of CSV and JSONL files go: amid good rows, at most 50 in. */
  static int badRowsAt(int rows) {
    return Math.min(50, rows / 2);
  }
  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

  private final FileSystem fs;
  private final Path root;
  private final long seed;
  private final double scale;
  private final Map<String, Planted> planted = new LinkedHashMap<>();

  private SampleCorpus(FileSystem fs, Path root, long seed, double scale) {
    this.fs = fs;
    this.root = root;
    this.seed = seed;
    this.scale = scale;
  }

  /** Writes the corpus under {@code dir} (replacing earlier sample files there). */
  public static Map<String, Planted> write(String dir, long seed, double scale,
      Configuration hadoop) {
    try {
      Path root = new Path(dir);
      FileSystem fs = root.getFileSystem(hadoop);
      fs.setWriteChecksum(false); // no .crc files beside the raw files
      SampleCorpus corpus = new SampleCorpus(fs, root, seed, scale);
      corpus.writeAll();
      return corpus.planted;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write sample data under " + dir, e);
    }
  }

  private void writeAll() throws IOException {
    fpb();
    tfns();
    fiqa();
    pixiuConversations();
    finbenHeadlines();
    gsm8k();
    svamp();
    alpaca();
    seedTasks();
    nwgi();
    finqa();
    orcaMath();
  }

  private int n(int base) {
    return Math.max(1, (int) Math.round(base * scale));
  }

  private SampleText text(String file) {
    return new SampleText(seed * 31 + file.hashCode());
  }

  private Planted source(String name, String file) {
    Planted p = planted.computeIfAbsent(name, k -> new Planted());
    p.files.add(file);
    return p;
  }

  // --- Financial PhraseBank: Kaggle CSV (cp1252, CRLF, no header) and the original txt. ---

  private void fpb() throws IOException {
    SampleText t = text("fpb");
    Planted csv = source("fpb", "fpb/all-data.csv");
    Planted txt = source("fpb_66agree", "fpb/Sentences_66Agree.txt");
    List<String[]> rows = new ArrayList<>();
    for (int i = 0; i < n(1500); i++) {
      String label = weighted(t, 0.12, 0.6);
      String company = i % 97 == 5 ? "Sepp\u00e4l\u00e4 Oy" : t.company();
      rows.add(new String[] {label, t.newsSentence(label, company)});
    }
    rows.add(rows.get(3).clone()); // an exact duplicate, as in the real file
    rows.add(rows.get(10).clone());
    rows.add(new String[] {rows.get(20)[0].equals("neutral") ? "positive" : "neutral",
        rows.get(20)[1]}); // the same sentence under another label
    try (OutputStream out = create("fpb/all-data.csv")) {
      for (int i = 0; i < rows.size(); i++) {
        if (i == badRowsAt(rows.size())) { // amid good rows: the neighbours must still load
          line(out, "mixed,The outlook is uncertain .", "\r\n", CP1252);
          csv.bad("unknown_label");
          line(out, "neutral,", "\r\n", CP1252);
          csv.bad("empty_text");
          line(out, "positive,Sales rose,strongly", "\r\n", CP1252);
          csv.bad("malformed_csv");
        }
        line(out, rows.get(i)[0] + "," + csvField(rows.get(i)[1]), "\r\n", CP1252);
      }
    }
    csv.rawRows = csv.units = rows.size() + 3;
    try (OutputStream out = create("fpb/Sentences_66Agree.txt")) {
      int kept = 0;
      for (int i = 0; i < rows.size(); i += 3) {
        line(out, rows.get(i)[1] + "@" + rows.get(i)[0], "\r\n", StandardCharsets.ISO_8859_1);
        kept++;
      }
      line(out, "A line without its label", "\r\n", StandardCharsets.ISO_8859_1);
      txt.bad("malformed_line");
      txt.rawRows = txt.units = kept + 1;
    }
  }

  private static String weighted(SampleText t, double negative, double neutral) {
    double u = t.nextDouble();
    return u < negative ? "negative" : u < negative + neutral ? "neutral" : "positive";
  }

  // --- Twitter financial news sentiment: UTF-8 CSV with a header, CRLF, multi-line tweets. ---

  private void tfns() throws IOException {
    SampleText t = text("tfns");
    Planted p = source("tfns", "tfns/sent_train.csv");
    p.files.add("tfns/sent_valid.csv");
    String[] codes = {"0", "2", "1"}; // negative, neutral, positive -> bearish, neutral, bullish
    for (String file : List.of("sent_train.csv", "sent_valid.csv")) {
      boolean train = file.contains("train");
      try (OutputStream out = create("tfns/" + file)) {
        line(out, "text,label", "\r\n", StandardCharsets.UTF_8);
        int rows = n(train ? 1000 : 300);
        for (int i = 0; i < rows; i++) {
          if (train && i == badRowsAt(rows)) {
            out.write("$BAD caf".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {(byte) 0xC3, (byte) 0x28}); // not UTF-8
            out.write(" au lait,2\r\n".getBytes(StandardCharsets.US_ASCII));
            p.bad("bad_encoding");
            line(out, "$ODD sideways again,3", "\r\n", StandardCharsets.UTF_8);
            p.bad("unknown_label");
            p.rawRows += 2;
          }
          String label = weighted(t, 0.15, 0.65);
          String tweet = t.tweet(label);
          if (i % 40 == 7) {
            tweet = tweet.toUpperCase(Locale.ROOT) + "\n\nmore at 11";
          }
          line(out, csvField(tweet) + "," + codes[SampleText.SENTIMENTS.indexOf(label)], "\r\n",
              StandardCharsets.UTF_8);
        }
        p.rawRows += rows;
        if (train) { // an open quote runs to the end of the file, so this one comes last
          line(out, "\"$CUT this tweet never ends,1", "\r\n", StandardCharsets.UTF_8);
          p.bad("malformed_csv");
          p.rawRows += 1;
        }
      }
    }
    p.units = p.rawRows;
  }

  // --- FiQA-2018 task 1: one JSON object of headlines, each with per-target scores. ---

  private void fiqa() throws IOException {
    SampleText t = text("fiqa");
    Planted p = source("fiqa_sa", "fiqa_sa/task1_headline_ABSA_train.json");
    ObjectNode doc = JSON.createObjectNode();
    int id = 1;
    for (int i = 0; i < n(150); i++, id += 1 + t.nextInt(3)) {
      String company = t.company();
      double score = Math.round((t.nextDouble() * 1.9 - 0.95) * 1000) / 1000.0;
      ObjectNode record = doc.putObject(Integer.toString(id));
      record.put("sentence", t.headline(company, score));
      ArrayNode info = record.putArray("info");
      int targets = 1 + (i % 9 == 0 ? 1 : 0);
      for (int k = 0; k < targets; k++) {
        ObjectNode e = info.addObject();
        e.put("snippets", "['" + record.get("sentence").asText().split(" ")[0] + "']");
        e.put("target", k == 0 ? company : t.company());
        e.put("sentiment_score", Double.toString(k == 0 ? score : -score));
        e.put("aspects", "['Stock/Price Action']");
        p.units++;
      }
      p.rawRows++;
    }
    ObjectNode odd = doc.putObject(Integer.toString(id + 1));
    odd.put("sentence", "Vesta Retail names new chairman");
    ArrayNode info = odd.putArray("info");
    info.addObject().put("snippets", "['names']").put("target", "Vesta Retail")
        .put("sentiment_score", "n/a").put("aspects", "['Corporate/Appointment']");
    p.bad("bad_value");
    info.addObject().put("snippets", "['names']").put("sentiment_score", "0.1")
        .put("aspects", "['Corporate/Appointment']");
    p.bad("missing_field");
    p.rawRows++;
    p.units += 2;
    try (OutputStream out = create("fiqa_sa/task1_headline_ABSA_train.json")) {
      JSON.writerWithDefaultPrettyPrinter().writeValue(out, doc);
    }
  }

  // --- PIXIU fiqasa: conversation JSONL, one record per (text, template). ---

  private void pixiuConversations() throws IOException {
    SampleText t = text("pixiu");
    Planted p = source("pixiu_fiqasa", "pixiu_fiqasa/train.jsonl");
    List<String> templates = List.of(
        "What is the sentiment of the following financial post: Positive, Negative, or Neutral?",
        "Classify the sentiment of this financial headline as Positive, Negative, or Neutral.",
        "Is the tone of the following financial text Positive, Negative, or Neutral?");
    int id = 0;
    for (String split : List.of("train", "valid", "test")) {
      if (!split.equals("train")) {
        p.files.add("pixiu_fiqasa/" + split + ".jsonl");
      }
      int rows = n(split.equals("train") ? 200 : split.equals("valid") ? 50 : 60);
      try (OutputStream out = create("pixiu_fiqasa/" + split + ".jsonl")) {
        for (int i = 0; i < rows; i++) {
          String label = weighted(t, 0.3, 0.1);
          String answer = Character.toUpperCase(label.charAt(0)) + label.substring(1);
          ObjectNode r = conversation("fiqasa" + id++, t.pick(templates), t.post(label), answer);
          jsonLine(out, r);
          if (split.equals("train") && i == 0) {
            jsonLine(out, r); // the same id twice: the second is a duplicate_key
            p.bad("duplicate_key");
            p.rawRows++;
          }
        }
        p.rawRows += rows;
      }
    }
    p.units = p.rawRows;
  }

  private static ObjectNode conversation(String id, String instruction, String input,
      String answer) {
    ObjectNode r = JSON.createObjectNode();
    r.put("id", id);
    ArrayNode turns = r.putArray("conversations");
    turns.addObject().put("from", "human").put("value", instruction + "\nText: " + input
        + "\nAnswer:");
    turns.addObject().put("from", "agent").put("value", answer);
    return r;
  }

  // --- FinBen-style JSONL: {id, query, answer, text, choices, gold}: headline yes/no. ---

  private void finbenHeadlines() throws IOException {
    SampleText t = text("finben");
    Planted p = source("flare_headlines", "flare_headlines/train.jsonl");
    p.files.add("flare_headlines/test.jsonl");
    String instruction = "Does the news headline talk about price going up? "
        + "Please answer Yes or No.";
    int id = 0;
    for (String split : List.of("train", "test")) {
      int rows = n(split.equals("train") ? 200 : 60);
      try (OutputStream out = create("flare_headlines/" + split + ".jsonl")) {
        for (int i = 0; i < rows; i++) {
          double score = t.nextDouble() * 2 - 1;
          String headline = t.headline(t.company(), score);
          int gold = score > 0.2 ? 0 : 1;
          ObjectNode r = JSON.createObjectNode();
          r.put("id", "headlines" + id++);
          r.put("query", instruction + "\nText: " + headline + "\nAnswer:");
          r.put("answer", gold == 0 ? "Yes" : "No");
          r.put("text", headline);
          r.putArray("choices").add("Yes").add("No");
          r.put("gold", split.equals("test") && i == 3 ? 7 : gold);
          if (split.equals("test") && i == 3) {
            p.bad("bad_value");
          }
          jsonLine(out, r);
        }
        p.rawRows += rows;
      }
    }
    p.units = p.rawRows;
  }

  // --- GSM8K: JSONL {question, answer ... #### n}. ---

  private void gsm8k() throws IOException {
    SampleText t = text("gsm8k");
    Planted p = source("gsm8k", "gsm8k/train.jsonl");
    p.files.add("gsm8k/test.jsonl");
    for (String split : List.of("train", "test")) {
      int rows = n(split.equals("train") ? 300 : 80);
      try (OutputStream out = create("gsm8k/" + split + ".jsonl")) {
        for (int i = 0; i < rows; i++) {
          if (split.equals("train") && i == badRowsAt(rows)) {
            line(out, "{\"question\": \"How many pens are left?\", \"answer\": \"Half of",
                "\n", StandardCharsets.UTF_8);
            p.bad("malformed_json");
            jsonLine(out, JSON.createObjectNode().put("question", "What is 2 + 2?")
                .put("answer", "2 + 2 = 4, but the final line is missing."));
            p.bad("missing_field");
            p.rawRows += 2;
          }
          String[] problem = t.mathProblem();
          jsonLine(out, JSON.createObjectNode().put("question", problem[0])
              .put("answer", problem[1]));
        }
        p.rawRows += rows;
      }
    }
    p.units = p.rawRows;
  }

  // --- SVAMP: one JSON array of {ID, Body, Question, Equation, Answer, Type}. ---

  private void svamp() throws IOException {
    SampleText t = text("svamp");
    Planted p = source("svamp", "svamp/SVAMP.json");
    ArrayNode all = JSON.createArrayNode();
    int rows = n(120);
    for (int i = 1; i <= rows; i++) {
      String[] s = t.svampProblem();
      ObjectNode r = all.addObject();
      r.put("ID", "chal-" + i).put("Body", s[0]).put("Question", s[1]).put("Equation", s[2]);
      r.put("Answer", Double.parseDouble(s[3]));
      r.put("Type", s[2].contains("+") ? "Addition" : "Subtraction");
    }
    ObjectNode bad = all.addObject();
    bad.put("ID", "chal-" + (rows + 1)).put("Body", "Mia had some cards")
        .put("Question", "How many cards?").put("Equation", "x").put("Answer", "many")
        .put("Type", "Addition");
    p.bad("bad_value");
    p.rawRows = p.units = rows + 1;
    try (OutputStream out = create("svamp/SVAMP.json")) {
      JSON.writerWithDefaultPrettyPrinter().writeValue(out, all);
    }
  }

  // --- Alpaca: one JSON array of {instruction, input, output}; seed tasks JSONL. ---

  private void alpaca() throws IOException {
    SampleText t = text("alpaca");
    Planted p = source("alpaca", "alpaca/alpaca_data.json");
    ArrayNode all = JSON.createArrayNode();
    int rows = n(250);
    for (int i = 0; i < rows; i++) {
      String[] r = t.instruction();
      all.addObject().put("instruction", r[0]).put("input", r[1]).put("output", r[2]);
    }
    all.addObject().put("instruction", "Repeat the word forever.").put("input", "")
        .put("output", "again ".repeat(5000));
    p.bad("too_long");
    p.rawRows = p.units = rows + 1;
    try (OutputStream out = create("alpaca/alpaca_data.json")) {
      JSON.writerWithDefaultPrettyPrinter().writeValue(out, all);
    }
  }

  private void seedTasks() throws IOException {
    SampleText t = text("seed_tasks");
    Planted p = source("alpaca_seed", "alpaca/seed_tasks.jsonl");
    int rows = n(30);
    try (OutputStream out = create("alpaca/seed_tasks.jsonl")) {
      for (int i = 0; i < rows; i++) {
        String[] r = t.instruction();
        ObjectNode task = JSON.createObjectNode();
        task.put("id", "seed_task_" + i).put("name", "task_" + i).put("instruction", r[0]);
        ArrayNode instances = task.putArray("instances");
        instances.addObject().put("input", r[1]).put("output", r[2]);
        if (i % 5 == 0) {
          String[] more = t.instruction();
          instances.addObject().put("input", more[1]).put("output", more[2]);
          p.units++;
        }
        task.put("is_classification", false);
        jsonLine(out, task);
        p.units++;
      }
    }
    p.rawRows = rows;
  }

  // --- Generic adapters: NWGI-like Parquet, FinQA-like JSON, Orca-Math-like CSV. ---

  private void nwgi() throws IOException {
    SampleText t = text("nwgi");
    Planted p = source("nwgi", "nwgi/nwgi.parquet");
    MessageType schema = MessageTypeParser.parseMessageType("message nwgi { "
        + "optional binary news (STRING); required binary label (STRING); "
        + "required binary split (STRING); }");
    SimpleGroupFactory groups = new SimpleGroupFactory(schema);
    Path file = new Path(root, "nwgi/nwgi.parquet");
    fs.delete(file, false);
    int rows = n(250);
    List<String> labels = List.of("strong negative", "mild negative", "neutral",
        "mild positive", "strong positive");
    try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(file)
        .withConf(fs.getConf()).withType(schema).build()) {
      for (int i = 0; i < rows; i++) {
        int level = t.nextInt(5);
        String sentiment = level < 2 ? "negative" : level == 2 ? "neutral" : "positive";
        Group g = groups.newGroup();
        g.add("news", t.newsSentence(sentiment, t.company()));
        g.add("label", labels.get(level));
        g.add("split", i % 5 == 0 ? "test" : "train");
        writer.write(g);
      }
      Group missing = groups.newGroup();
      missing.add("label", "neutral");
      missing.add("split", "train");
      writer.write(missing);
      p.bad("missing_field");
    }
    p.rawRows = p.units = rows + 1;
  }

  private void finqa() throws IOException {
    SampleText t = text("finqa");
    Planted p = source("finqa", "finqa/train.json");
    ArrayNode all = JSON.createArrayNode();
    int rows = n(60);
    for (int i = 0; i < rows; i++) {
      String company = t.company();
      int a = t.between(100, 900);
      int b = t.between(100, 900);
      ObjectNode r = all.addObject();
      r.put("id", company.replace(' ', '_') + "/page_" + i + ".pdf-1");
      r.putArray("pre_text").add(company + " reports the following figures .")
          .add("amounts are in millions of euros .");
      ArrayNode table = r.putArray("table");
      table.addArray().add("").add("2024").add("2025");
      table.addArray().add("revenue").add(Integer.toString(a)).add(Integer.toString(b));
      r.putArray("post_text").add("the change is explained in note " + t.between(2, 9) + " .");
      ObjectNode qa = r.putObject("qa");
      qa.put("question", "what was the change in revenue from 2024 to 2025?");
      qa.put("program", "subtract(" + b + ", " + a + ")");
      qa.put("exe_ans", (double) (b - a));
    }
    p.rawRows = p.units = rows;
    try (OutputStream out = create("finqa/train.json")) {
      JSON.writerWithDefaultPrettyPrinter().writeValue(out, all);
    }
  }

  private void orcaMath() throws IOException {
    SampleText t = text("orca");
    Planted p = source("orca_math", "orca_math/orca_math.csv");
    int rows = n(120);
    try (OutputStream out = create("orca_math/orca_math.csv")) {
      line(out, "question,answer", "\n", StandardCharsets.UTF_8);
      for (int i = 0; i < rows; i++) {
        String[] problem = t.mathProblem();
        String answer = problem[1].replaceAll("<<[^>]*>>", "").replace("\n#### ",
            "\nThe answer is ");
        line(out, csvField(problem[0]) + "," + csvField(answer), "\n", StandardCharsets.UTF_8);
      }
    }
    p.rawRows = p.units = rows;
  }

  // --- writing helpers ---

  private OutputStream create(String relative) throws IOException {
    return fs.create(new Path(root, relative), true);
  }

  private static void line(OutputStream out, String text, String eol, Charset charset)
      throws IOException {
    out.write((text + eol).getBytes(charset));
  }

  private static void jsonLine(OutputStream out, ObjectNode node) throws IOException {
    out.write(JSON.writeValueAsBytes(node));
    out.write('\n');
  }

  /** RFC 4180 quoting: only when the text holds a comma, quote or line break. */
  static String csvField(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }

  /** Calls {@code each} for every planted source, for printing. */
  public static void describe(Map<String, Planted> planted, Consumer<String> each) {
    planted.forEach((source, p) -> each.accept(String.format(Locale.ROOT,
        "%-16s %6d raw rows, %3d bad %-40s %s", source, p.rawRows,
        p.bad.values().stream().mapToLong(Long::longValue).sum(), p.bad, p.files)));
  }
}
