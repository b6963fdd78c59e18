#!/usr/bin/env python3
"""PyTorch reference of finmix's decoder-only transformer, for the numerics cross-check.

It reads a Hugging Face checkpoint directory as finmix exports it (config.json +
model.safetensors) with nothing but torch and the standard library, and computes logits the
way finmix's model is specified to: RMSNorm or LayerNorm, rotary or learned positions,
grouped-query attention, optional per-head query/key RMSNorm (Qwen3), biases (none, qkv as
Qwen2, all as GPT-2), SwiGLU or tanh-GELU MLP, tied or separate output projection, and
attention confined to each packed example (segment ids, positions restarting per example).

    /usr/bin/python3 finmix_reference.py --model DIR --inputs inputs.json --out logits.bin \
        [--grads grads.safetensors] [--float64]
    /usr/bin/python3 finmix_reference.py --self-test
    /usr/bin/python3 finmix_reference.py --train-bench --model DIR --batch B --seq T \
        --steps N --warmup-steps W --threads K [--lr 1e-3] [--seed 0] [--packed L] \
        [--repeat-batch] [--init-random]

inputs.json: {"input_ids": [[...], ...], "segment_ids": [[...]] (optional),
"positions": [[...]] (optional), "labels": [[...]] and "loss_mask": [[...]] (with --grads)}.
The output is float32 little-endian logits [batch, seq, vocab], row-major, with a one-line JSON
header giving the shape. --float64 computes in double (the weights read from float32).
--grads also computes the loss finmix trains on (token cross-entropy of the labels, weighted by
the loss mask, over the masked tokens' count) and writes the gradient of every checkpoint
tensor as float32 safetensors, under the checkpoint's names; the loss goes to stdout as JSON.

--train-bench times training on the CPU, to compare with finmix's on the same config, batch
and thread count: float32 weights as parameters, AdamW (betas 0.9/0.95, eps 1e-8, weight
decay 0.1 on matrices and embeddings only, none on norms and biases), global gradient-norm
clipping to 1.0, constant learning rate, mean token cross-entropy. Every step draws [B, T+1]
token ids from torch.Generator().manual_seed(seed) (--repeat-batch: one batch, drawn once,
for every step); each row is one example (segment ids 1, positions 0..T-1), or with --packed L examples of L
tokens side by side (segment ids and positions per example), fed through forward() with
segments and positions so the masked-attention path is the one timed. W
warm-up steps run untimed, then N timed steps. --init-random: random weights from the
config, no model.safetensors needed. One line of JSON goes to stdout (framework, torch,
threads, batch, seq, steps, tokens_per_s, ms_per_step, first_loss, last_loss, peak_rss_mb;
first_loss is the first step's, warm-up included); progress goes to stderr.
"""
import argparse
import json
import math
import os
import resource
import struct
import sys
import time

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "F64": torch.float64}


def read_safetensors(path):
    """name -> float32 tensor; checks the header as finmix's reader does."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: shorter than the header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header of {n} bytes past the end")
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        raw = bytearray(data[base + begin:base + end])
        t = torch.frombuffer(raw, dtype=DTYPES[e["dtype"]]) if raw else torch.zeros(0)
        out[name] = t.reshape(e["shape"]).to(torch.float32)
    return out


class Config:
    def __init__(self, c):
        self.type = c["model_type"]
        if self.type == "gpt2":
            self.vocab, self.hidden = c["vocab_size"], c["n_embd"]
            self.layers, self.heads = c["n_layer"], c["n_head"]
            self.kv_heads, self.head_dim = self.heads, self.hidden // self.heads
            self.eps = c.get("layer_norm_epsilon", 1e-5)
            self.norm, self.mlp, self.positions, self.biases = "layer", "gelu", "learned", "all"
            self.tied, self.qk_norm, self.theta = True, False, 10000.0
            self.intermediate = c.get("n_inner") or 4 * self.hidden
            self.max_positions = c.get("n_positions", 1024)
        else:
            self.vocab, self.hidden = c["vocab_size"], c["hidden_size"]
            self.layers, self.heads = c["num_hidden_layers"], c["num_attention_heads"]
            self.kv_heads = c.get("num_key_value_heads") or self.heads
            self.head_dim = c.get("head_dim") or self.hidden // self.heads
            self.eps = c.get("rms_norm_eps", 1e-6)
            self.norm, self.mlp, self.positions = "rms", "swiglu", "rope"
            self.biases = "qkv" if self.type == "qwen2" else "none"
            self.tied = c.get("tie_word_embeddings", False)
            self.qk_norm = self.type == "qwen3"
            self.theta = c.get("rope_theta", 10000.0)
            self.intermediate = c.get("intermediate_size")  # only random init needs it


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def rope(x, positions, theta):
    """x: [B, H, T, D]; rotate-half convention (Llama/Qwen in transformers)."""
    d = x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    ang = positions.to(torch.float64)[:, None, :, None] * inv  # [B, 1, T, D/2]
    cos = torch.cat([ang.cos(), ang.cos()], -1).to(x.dtype)
    sin = torch.cat([ang.sin(), ang.sin()], -1).to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def attention_mask(segments):
    """[B, 1, T, T]: i sees j iff same non-zero segment and j <= i."""
    t = segments.shape[1]
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    same = segments[:, :, None] == segments[:, None, :]
    return (same & causal)[:, None]


def forward(cfg, w, ids, segments=None, positions=None):
    b, t = ids.shape
    if segments is None:
        segments = torch.ones_like(ids)
    if positions is None:
        positions = torch.arange(t).expand(b, t)
    gpt2 = cfg.type == "gpt2"
    p = "transformer." if gpt2 and "transformer.wte.weight" in w else ("" if gpt2 else "model.")
    emb = w[p + ("wte.weight" if gpt2 else "embed_tokens.weight")]
    x = emb[ids]
    if cfg.positions == "learned":
        x = x + w[p + "wpe.weight"][positions]
    mask = attention_mask(segments)
    for i in range(cfg.layers):
        if gpt2:
            h = layer_norm(x, w[f"{p}h.{i}.ln_1.weight"], w[f"{p}h.{i}.ln_1.bias"], cfg.eps)
            q, k, v = conv1d(w, f"{p}h.{i}.attn.c_attn", h).split(cfg.hidden, -1)
        else:
            lp = f"{p}layers.{i}."
            h = rms_norm(x, w[lp + "input_layernorm.weight"], cfg.eps)
            q, k, v = (proj(w, lp + "self_attn." + n + "_proj", h) for n in ("q", "k", "v"))
        q = q.view(b, t, cfg.heads, cfg.head_dim).transpose(1, 2)
        k = k.view(b, t, cfg.kv_heads, cfg.head_dim).transpose(1, 2)
        v = v.view(b, t, cfg.kv_heads, cfg.head_dim).transpose(1, 2)
        if cfg.qk_norm:
            q = rms_norm(q, w[f"{p}layers.{i}.self_attn.q_norm.weight"], cfg.eps)
            k = rms_norm(k, w[f"{p}layers.{i}.self_attn.k_norm.weight"], cfg.eps)
        if cfg.positions == "rope":
            q, k = rope(q, positions, cfg.theta), rope(k, positions, cfg.theta)
        rep = cfg.heads // cfg.kv_heads
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(cfg.head_dim)
        s = s.masked_fill(~mask, float("-inf"))
        att = torch.softmax(s, -1).nan_to_num(0.0)  # padding rows see nothing
        o = (att @ v).transpose(1, 2).reshape(b, t, cfg.heads * cfg.head_dim)
        if gpt2:
            x = x + conv1d(w, f"{p}h.{i}.attn.c_proj", o)
            h = layer_norm(x, w[f"{p}h.{i}.ln_2.weight"], w[f"{p}h.{i}.ln_2.bias"], cfg.eps)
            up = conv1d(w, f"{p}h.{i}.mlp.c_fc", h)
            x = x + conv1d(w, f"{p}h.{i}.mlp.c_proj",
                           torch.nn.functional.gelu(up, approximate="tanh"))
        else:
            lp = f"{p}layers.{i}."
            x = x + proj(w, lp + "self_attn.o_proj", o)
            h = rms_norm(x, w[lp + "post_attention_layernorm.weight"], cfg.eps)
            gate = proj(w, lp + "mlp.gate_proj", h)
            up = proj(w, lp + "mlp.up_proj", h)
            x = x + proj(w, lp + "mlp.down_proj", torch.nn.functional.silu(gate) * up)
    if gpt2:
        x = layer_norm(x, w[p + "ln_f.weight"], w[p + "ln_f.bias"], cfg.eps)
    else:
        x = rms_norm(x, w[p + "norm.weight"], cfg.eps)
    head = emb if cfg.tied or "lm_head.weight" not in w else w["lm_head.weight"]
    return x @ head.T


def proj(w, name, x):
    y = x @ w[name + ".weight"].T
    return y + w[name + ".bias"] if name + ".bias" in w else y


def conv1d(w, name, x):
    """GPT-2's Conv1D: weight [in, out]."""
    return x @ w[name + ".weight"] + w[name + ".bias"]


def write_safetensors(path, tensors):
    """name -> tensor as a float32 safetensors file (the format finmix reads)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4")
        raw = data.tobytes()
        header[name] = {"dtype": "F32", "shape": list(data.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for raw in blobs:
            f.write(raw)


def masked_loss(logits, labels, mask):
    """Token cross-entropy weighted by the loss mask, over the masked tokens' count."""
    ce = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                           labels.reshape(-1), reduction="none")
    m = mask.reshape(-1).to(ce.dtype)
    return (ce * m).sum() / m.sum().clamp(min=1)


def load(model_dir):
    with open(f"{model_dir}/config.json") as f:
        cfg = Config(json.load(f))
    return cfg, read_safetensors(f"{model_dir}/model.safetensors")


def random_weights(cfg, seed, std=0.2):
    """Random float64 weights under the checkpoint's names, for the self-test and
    --init-random: normal(0, std) matrices and biases, norm weights 1 + normal(0, std)."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64) * std
    if cfg.type == "gpt2":
        return random_gpt2_weights(cfg, r)
    w = {"model.embed_tokens.weight": r(cfg.vocab, cfg.hidden),
         "model.norm.weight": 1 + r(cfg.hidden)}
    q, kv = cfg.heads * cfg.head_dim, cfg.kv_heads * cfg.head_dim
    for i in range(cfg.layers):
        lp = f"model.layers.{i}."
        w[lp + "input_layernorm.weight"] = 1 + r(cfg.hidden)
        w[lp + "post_attention_layernorm.weight"] = 1 + r(cfg.hidden)
        for n, o in (("q", q), ("k", kv), ("v", kv)):
            w[lp + f"self_attn.{n}_proj.weight"] = r(o, cfg.hidden)
        w[lp + "self_attn.o_proj.weight"] = r(cfg.hidden, q)
        if cfg.qk_norm:
            w[lp + "self_attn.q_norm.weight"] = 1 + r(cfg.head_dim)
            w[lp + "self_attn.k_norm.weight"] = 1 + r(cfg.head_dim)
        w[lp + "mlp.gate_proj.weight"] = r(cfg.intermediate, cfg.hidden)
        w[lp + "mlp.up_proj.weight"] = r(cfg.intermediate, cfg.hidden)
        w[lp + "mlp.down_proj.weight"] = r(cfg.hidden, cfg.intermediate)
        if cfg.biases == "qkv":
            for n, o in (("q", q), ("k", kv), ("v", kv)):
                w[lp + f"self_attn.{n}_proj.bias"] = r(o)
    if not cfg.tied:
        w["lm_head.weight"] = r(cfg.vocab, cfg.hidden)
    return w


def random_gpt2_weights(cfg, r):
    """GPT-2's names without the "transformer." prefix; Conv1D weights are [in, out]."""
    h, f = cfg.hidden, cfg.intermediate
    w = {"wte.weight": r(cfg.vocab, h), "wpe.weight": r(cfg.max_positions, h),
         "ln_f.weight": 1 + r(h), "ln_f.bias": r(h)}
    for i in range(cfg.layers):
        lp = f"h.{i}."
        for n in ("ln_1", "ln_2"):
            w[lp + n + ".weight"], w[lp + n + ".bias"] = 1 + r(h), r(h)
        for n, a, b in (("attn.c_attn", h, 3 * h), ("attn.c_proj", h, h),
                        ("mlp.c_fc", h, f), ("mlp.c_proj", f, h)):
            w[lp + n + ".weight"], w[lp + n + ".bias"] = r(a, b), r(b)
    return w


def self_test():
    """Packed sequences give each example the logits it has alone (Qwen3-shaped, GQA)."""
    cfg = Config({"model_type": "qwen3", "vocab_size": 50, "hidden_size": 32,
                  "num_hidden_layers": 2, "num_attention_heads": 4,
                  "num_key_value_heads": 2, "head_dim": 8, "intermediate_size": 64,
                  "tie_word_embeddings": True, "rope_theta": 10000.0})
    w = random_weights(cfg, 1)
    g = torch.Generator().manual_seed(2)
    a, b = torch.randint(0, 50, (1, 5), generator=g), torch.randint(0, 50, (1, 7), generator=g)
    packed = torch.cat([a, b, torch.zeros(1, 4, dtype=torch.long)], 1)
    segments = torch.tensor([[1] * 5 + [2] * 7 + [0] * 4])
    positions = torch.tensor([list(range(5)) + list(range(7)) + [0] * 4])
    with torch.no_grad():
        whole = forward(cfg, w, packed, segments, positions)
        alone_a, alone_b = forward(cfg, w, a), forward(cfg, w, b)
    diff = max((whole[:, :5] - alone_a).abs().max().item(),
               (whole[:, 5:12] - alone_b).abs().max().item())
    print(f"self-test: packed vs alone max abs diff {diff:.3e}")
    if diff > 1e-9:
        sys.exit("self-test failed: packing leaks across examples")
    # causal: a later token cannot change an earlier logit
    changed = packed.clone()
    changed[0, 11] = (changed[0, 11] + 1) % 50
    with torch.no_grad():
        again = forward(cfg, w, changed, segments, positions)
    if (again[:, :11] - whole[:, :11]).abs().max().item() > 1e-12:
        sys.exit("self-test failed: attention is not causal")
    print("self-test: ok")


def blas_libraries():
    """The BLAS libraries this process has mapped (Linux), resolved through symlinks and
    Debian's alternatives: netlib's reference BLAS makes every matmul slow."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return []
    return sorted({os.path.realpath(p) for p in paths})


def train_bench(args):
    """Times N AdamW steps after W untimed ones; prints one line of JSON to stdout."""
    b, t = args.batch, args.seq
    if args.init_random:
        with open(f"{args.model}/config.json") as f:
            cfg = Config(json.load(f))
        init = random_weights(cfg, args.seed, std=0.02)
    else:
        cfg, init = load(args.model)
    if cfg.positions == "learned" and t > cfg.max_positions:
        sys.exit(f"--seq {t} is past the model's {cfg.max_positions} positions")
    w = {n: torch.nn.Parameter(x.to(torch.float32).contiguous()) for n, x in init.items()}
    params = list(w.values())
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    g = torch.Generator().manual_seed(args.seed)
    if args.packed:
        # examples of --packed tokens side by side: segment ids and positions per example
        segments = (torch.arange(t) // args.packed + 1).expand(b, t)
        positions = (torch.arange(t) % args.packed).expand(b, t)
    else:
        segments = torch.ones(b, t, dtype=torch.long)
        positions = torch.arange(t).expand(b, t)
    fixed = torch.randint(0, cfg.vocab, (b, t + 1), generator=g) if args.repeat_batch else None
    n_params = sum(p.numel() for p in params)
    print(f"train-bench: {cfg.type}, {n_params} parameters, batch {b}, seq {t}, "
          f"threads {torch.get_num_threads()}, {args.warmup_steps} warm-up + {args.steps} "
          f"timed steps; BLAS: {', '.join(blas_libraries()) or 'unknown'}", file=sys.stderr)

    def step():
        data = fixed if fixed is not None else torch.randint(0, cfg.vocab, (b, t + 1),
                                                             generator=g)
        logits = forward(cfg, w, data[:, :-1], segments, positions)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab),
                                                 data[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss.item()

    first_loss = None
    for i in range(args.warmup_steps):
        loss = step()
        if first_loss is None:
            first_loss = loss
        print(f"warm-up step {i + 1}/{args.warmup_steps}: loss {loss:.4f}", file=sys.stderr)
    every = max(1, args.steps // 10)
    start = time.perf_counter()
    for i in range(args.steps):
        loss = step()
        if first_loss is None:
            first_loss = loss
        if (i + 1) % every == 0 or i + 1 == args.steps:
            print(f"step {i + 1}/{args.steps}: loss {loss:.4f}, "
                  f"{(time.perf_counter() - start) * 1000 / (i + 1):.1f} ms/step",
                  file=sys.stderr)
    elapsed = time.perf_counter() - start
    print(json.dumps({
        "framework": "pytorch", "torch": torch.__version__,
        "threads": torch.get_num_threads(), "batch": b, "seq": t, "steps": args.steps,
        "tokens_per_s": b * t * args.steps / elapsed,
        "ms_per_step": elapsed * 1000 / args.steps,
        "first_loss": first_loss, "last_loss": loss,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="directory with config.json and model.safetensors")
    ap.add_argument("--inputs", help="inputs.json (input_ids, optional segment_ids/positions)")
    ap.add_argument("--out", help="where to write the logits")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    ap.add_argument("--grads", help="also the loss's gradients, to this safetensors file")
    ap.add_argument("--float64", action="store_true", help="compute in double")
    ap.add_argument("--self-test", action="store_true", help="check packing and causality")
    ap.add_argument("--train-bench", action="store_true", help="time training steps")
    ap.add_argument("--batch", type=int, help="train-bench: examples per step")
    ap.add_argument("--seq", type=int, help="train-bench: tokens per example")
    ap.add_argument("--steps", type=int, help="train-bench: timed steps")
    ap.add_argument("--warmup-steps", type=int, default=0, help="train-bench: untimed steps")
    ap.add_argument("--lr", type=float, default=1e-3, help="train-bench: learning rate")
    ap.add_argument("--seed", type=int, default=0, help="train-bench: data (and init) seed")
    ap.add_argument("--packed", type=int, default=0,
                    help="train-bench: examples of this many tokens packed in each row")
    ap.add_argument("--repeat-batch", action="store_true",
                    help="train-bench: the same batch every step")
    ap.add_argument("--init-random", action="store_true",
                    help="train-bench: random weights from config.json, no safetensors")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError as e:  # only allowed before any inter-op work has started
            print(f"set_num_interop_threads(1) refused: {e}", file=sys.stderr)
    if args.self_test:
        self_test()
        return
    if args.train_bench:
        if not (args.model and args.batch and args.seq and args.steps):
            ap.error("--train-bench needs --model, --batch, --seq and --steps")
        if min(args.batch, args.seq, args.steps) < 1 or args.warmup_steps < 0:
            ap.error("--batch, --seq and --steps must be positive, --warmup-steps >= 0")
        train_bench(args)
        return
    if not (args.model and args.inputs and args.out):
        ap.error("--model, --inputs and --out are needed (or --self-test)")
    cfg, w = load(args.model)
    dtype = torch.float64 if args.float64 else torch.float32
    w = {n: x.to(dtype).requires_grad_(bool(args.grads)) for n, x in w.items()}
    with open(args.inputs) as f:
        inp = json.load(f)
    ids = torch.tensor(inp["input_ids"])
    seg = torch.tensor(inp["segment_ids"]) if "segment_ids" in inp else None
    pos = torch.tensor(inp["positions"]) if "positions" in inp else None
    with torch.set_grad_enabled(bool(args.grads)):
        logits = forward(cfg, w, ids, seg, pos)
        if args.grads:
            loss = masked_loss(logits, torch.tensor(inp["labels"]), torch.tensor(inp["loss_mask"]))
            loss.backward()
            write_safetensors(args.grads, {n: x.grad if x.grad is not None else torch.zeros_like(x)
                                           for n, x in w.items()})
            print(json.dumps({"loss": loss.item()}))
    logits = logits.detach().to(torch.float32).contiguous()
    with open(args.out, "wb") as f:
        f.write((json.dumps({"shape": list(logits.shape)}) + "\n").encode())
        f.write(logits.numpy().astype("<f4").tobytes())


if __name__ == "__main__":
    main()
