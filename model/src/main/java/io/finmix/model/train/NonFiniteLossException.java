package io.finmix.model.train;

/** A step whose loss or gradient norm is not finite; the parameters were left as they were. */
public final class NonFiniteLossException extends RuntimeException {

  private final long step;

  NonFiniteLossException(long step, double loss, double gradNorm) {
    super("step " + step + ": loss " + loss + ", gradient norm " + gradNorm + " (not finite); the"
        + " parameters are those after step " + (step - 1) + " (lower the learning rate, or "
        + "resume from the last checkpoint)");
    this.step = step;
  }

  public long step() {
    return step;
  }
}
