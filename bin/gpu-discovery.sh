#!/usr/bin/env bash
# Spark GPU discovery script for finmix's CUDA executors (conf/cluster/gpu.conf).
#
# Spark runs it when an executor starts (spark.executor.resource.gpu.discoveryScript) and reads
# one line of JSON from stdout: {"name": "gpu", "addresses": ["0","1",...]}. Spark then hands
# these addresses to tasks (spark.task.resource.gpu.amount). It must exist, executable, on every
# node that runs an executor: on YARN pass it with --files (it lands in the container's working
# directory), on Kubernetes put it in the executor image.
#
# The addresses are the GPUs this executor can see:
#  - with CUDA_VISIBLE_DEVICES set, CUDA numbers the devices it lists from 0, so the addresses
#    are 0..n-1 for its n valid entries (CUDA ignores everything from the first invalid entry
#    on: an index nvidia-smi does not list, or anything else that is not a GPU-/MIG- UUID);
#  - otherwise nvidia-smi's indices (PCI bus order, which is CUDA's order only with
#    CUDA_DEVICE_ORDER=PCI_BUS_ID, as gpu.conf sets).
# Like Spark's own example script it assumes the cluster manager isolates GPUs (YARN with GPU
# isolation, Kubernetes' device plugin): without isolation every executor on a node lists all
# of the node's GPUs.
#
# Errors (no nvidia-smi, a failing driver, no GPU) go to stderr with a non-zero exit status,
# which makes the executor fail to start with this message in its log.
set -euo pipefail

host="$(hostname 2>/dev/null || echo "this node")"

die() {
  echo "gpu-discovery.sh on ${host}: $*" >&2
  exit 1
}

command -v nvidia-smi >/dev/null 2>&1 \
  || die "nvidia-smi not found on PATH (${PATH}): install the NVIDIA driver on this node," \
    "or run GPU executors only on GPU nodes"

# stderr apart from stdout: a failing nvidia-smi (driver not loaded, no device) is reported with
# its own message, and a warning on stderr never reads as an index.
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
if ! indices="$(nvidia-smi --query-gpu=index --format=csv,noheader 2>"$errors")"; then
  # nvidia-smi prints some failures (no driver) on stdout.
  die "nvidia-smi failed: $(head -c 2000 "$errors" || true)${indices:0:2000}"
fi

gpus=()
while IFS= read -r line; do
  line="${line//[[:space:]]/}"
  [[ -n "$line" ]] || continue
  [[ "$line" =~ ^[0-9]+$ ]] || die "unexpected nvidia-smi output: '${line}'"
  gpus+=("$line")
done <<<"$indices"
[[ ${#gpus[@]} -gt 0 ]] || die "nvidia-smi lists no GPU"

addresses=()
if [[ -n "${CUDA_VISIBLE_DEVICES+set}" ]]; then
  IFS=',' read -r -a visible <<<"${CUDA_VISIBLE_DEVICES}"
  for entry in ${visible[@]+"${visible[@]}"}; do
    entry="${entry//[[:space:]]/}"
    if [[ "$entry" =~ ^[0-9]+$ ]]; then
      [[ " ${gpus[*]} " == *" $((10#$entry)) "* ]] || break
    elif [[ "$entry" != GPU-* && "$entry" != MIG-* ]]; then
      break
    fi
    addresses+=("${#addresses[@]}")
  done
  [[ ${#addresses[@]} -gt 0 ]] \
    || die "CUDA_VISIBLE_DEVICES='${CUDA_VISIBLE_DEVICES}' leaves no GPU visible" \
      "(nvidia-smi lists ${gpus[*]})"
else
  addresses=("${gpus[@]}")
fi

json=""
for a in "${addresses[@]}"; do
  json+="${json:+,}\"${a}\""
done
printf '{"name": "gpu", "addresses": [%s]}\n' "$json"
