package io.finmix.model.nn;

/**
 * One pass through the model: the buffers it computes in, the slot of a layer's saved
 * activations ({@code slot} is the layer when a backward pass follows, 0 when nothing is kept
 * between layers), and the adapter dropout seed (null: no dropout).
 */
record Pass(Buffers buffers, int slot, Long dropoutSeed) {}
