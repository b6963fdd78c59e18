package io.finmix.model.nn;

/**
 * A normalisation of each row of a matrix ({@link RmsNorm}, {@link LayerNorm}), with a learned
 * per-column weight. {@code stats} keeps what the backward pass needs of each row, [rows, 2]:
 * the mean (LayerNorm) and the reciprocal standard deviation.
 */
interface Normalization {

  /** {@code y = norm(x)}, the row statistics into {@code stats}. */
  void forward(Mat x, Mat y, Mat stats);

  /**
   * The input's gradient from the output's: into {@code dx}, or added to it where {@code
   * accumulate}; the weight's (and bias's) gradient set, when they train.
   */
  void backward(Mat dy, Mat x, Mat stats, Mat dx, boolean accumulate);
}
