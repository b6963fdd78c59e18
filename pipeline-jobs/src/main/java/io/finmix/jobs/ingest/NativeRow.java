package io.finmix.jobs.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.Charset;

/**
 * One raw row as a reader saw it: a parsed native record (as a JSON tree, whatever the format),
 * or the reason it could not be parsed. The raw text is kept only as far as quarantine needs it.
 */
public final class NativeRow {

  /** Byte offset of the row in its file (row index for Parquet). */
  public final long offset;
  /** The object key of the row ({@code $key}) for object-of-records JSON, else null. */
  public final String key;
  /** The parsed record, or null when the row could not be parsed. */
  public final JsonNode node;
  /** Why the row could not be parsed, or null. */
  public final QuarantineReason error;
  public final String detail;
  private final Object raw;
  private final Charset charset;

  private NativeRow(long offset, String key, JsonNode node, QuarantineReason error, String detail,
      Object raw, Charset charset) {
    this.offset = offset;
    this.key = key;
    this.node = node;
    this.error = error;
    this.detail = detail;
    this.raw = raw;
    this.charset = charset;
  }

  /** A parsed row; {@code raw} is its text (a String), its bytes, or null to re-print the node. */
  public static NativeRow parsed(long offset, String key, JsonNode node, Object raw,
      Charset charset) {
    return new NativeRow(offset, key, node, null, null, raw, charset);
  }

  /** A row that could not be parsed. */
  public static NativeRow failed(long offset, QuarantineReason error, String detail, Object raw,
      Charset charset) {
    return new NativeRow(offset, null, null, error, detail, raw, charset);
  }

  /** The raw text for quarantine, cut to {@code maxChars} (bytes decoded leniently). */
  public String raw(int maxChars) {
    String text;
    if (raw instanceof String s) {
      text = s;
    } else if (raw instanceof byte[] b) {
      text = new String(b, 0, Math.min(b.length, maxChars * 4), charset);
    } else if (node != null) {
      text = node.toString();
    } else {
      text = "";
    }
    int end = text.length();
    while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
      end--; // the record's line break is not part of it
    }
    return text.substring(0, Math.min(end, maxChars));
  }
}
