#!/usr/bin/env bash
# Every CNN run that checkpoints/ does not hold yet (both recipes, training seeds 0-2), concurrently on one lent GPU:
# each job trains, evaluates and ships into a scratch copy of checkpoints/, and only the CNN folders come back, as one
# tarball. The earlier H200 runs took 424-440 s each one at a time; 16 cores hold every job at once.
#
# On the device machine, from the repository root (MNIST copied to the ignored data/mnist and carried; the tree travels
# without .git, so the commit is named):
#   BINARYGAN_CODE_COMMIT=<commit> bash scripts/device_cnn_campaign.sh
# Back here:  tar xzf cnn-campaign.tar.gz -C checkpoints && binarygan evaluate --table && binarygan manifest
# Smoke test on a CPU:  DEVICE=cpu EXTRA="--limit 640 --epochs 1" OUT=/tmp/smoke bash scripts/device_cnn_campaign.sh
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-artifacts/device}  # $OUT on the device machine: what is written there comes back
DEVICE=${DEVICE:-cuda}
EXTRA=${EXTRA:-}  # more options for every sweep
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$WORK/runs"
cp -r checkpoints "$WORK/ship"  # the evaluation classifier, and what is shipped already (never trained again)

# (variant, seed) jobs not shipped yet: seed 0 ships NAME/generator.safetensors, seed N NAME/seeds/seed-N/metrics.json
mapfile -t JOBS < <("$PYTHON" - <<'EOF'
from pathlib import Path

from training.config import REGISTRY

root = Path("checkpoints")
for name, cfg in REGISTRY.items():
    for seed in (0, 1, 2):
        shipped = root / name / ("generator.safetensors" if seed == 0 else f"seeds/seed-{seed}/metrics.json")
        if cfg.arch == "cnn" and not shipped.is_file():
            print(name, seed)
EOF
)
echo "${#JOBS[@]} CNN jobs on $DEVICE: ${JOBS[*]}" | tee "$OUT/campaign.log"

pids=()
for job in "${JOBS[@]}"; do
  read -r name seed <<<"$job"
  # one CPU thread per job: the GPU does the arithmetic, and 16 jobs share 16 cores
  # shellcheck disable=SC2086  # EXTRA is a list of options
  OMP_NUM_THREADS=1 "$PYTHON" -m training sweep "$name" --seeds "$seed" --device "$DEVICE" --runs "$WORK/runs" \
    --ship "$WORK/ship" --classifier "$WORK/ship/classifier" --no-progress $EXTRA >"$WORK/$name-$seed.log" 2>&1 &
  pids+=("$!")
done
failed=0
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then status=done; else status=FAILED; failed=$((failed + 1)); fi
  echo "${JOBS[$i]}: $status, $(tail -n 1 "$WORK/$(tr ' ' - <<<"${JOBS[$i]}").log")" | tee -a "$OUT/campaign.log"
done

names=$(for job in "${JOBS[@]}"; do echo "${job% *}"; done | sort -u)
if [ -n "$names" ]; then
  # shellcheck disable=SC2086  # one folder name per word
  tar czf "$OUT/cnn-campaign.tar.gz" -C "$WORK/ship" $names
fi
echo "$failed of ${#JOBS[@]} jobs failed; results in $OUT/cnn-campaign.tar.gz" | tee -a "$OUT/campaign.log"
exit "$((failed > 0))"
