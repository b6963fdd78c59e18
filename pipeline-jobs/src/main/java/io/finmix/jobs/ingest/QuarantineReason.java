package io.finmix.jobs.ingest;

import java.util.Locale;

/** Why a raw row went to {@code corpus.quarantine}; the code is what the table stores. */
public enum QuarantineReason {
  MALFORMED_JSON,
  MALFORMED_CSV,
  MALFORMED_LINE,
  BAD_ENCODING,
  MISSING_FIELD,
  EMPTY_TEXT,
  UNKNOWN_LABEL,
  BAD_VALUE,
  TOO_LONG,
  DUPLICATE_KEY;

  /** The code stored in the table: {@code malformed_json}, ... */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
