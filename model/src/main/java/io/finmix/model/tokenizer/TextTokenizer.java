package io.finmix.model.tokenizer;

/**
 * A tokenizer as the pipeline uses it: text to ids and back, exactly (decode(encode(x)) == x),
 * with no special tokens added and no truncation; the end-of-sequence id is separate.
 */
public interface TextTokenizer {

  /** A stable name: what {@code train.sequences.tokenizer_id} records. */
  String id();

  int[] encode(String text);

  /** The text of {@code ids}, special tokens included as text. */
  String decode(int[] ids);

  int eosId();

  int vocabSize();
}
