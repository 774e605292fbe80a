#!/usr/bin/env bash
# Every check that needs a GPU, in one run (about 12 minutes on one H100), results under $OUT
# (or ./gpu-results). Run from the repository root on the GPU machine:
#
#   bash benchmarks/gpu_checks.sh            # all parts
#   PARTS="speed torch" bash benchmarks/gpu_checks.sh
#
# Parts: tests (pytest -m gpu), speed (GAN step vs the PyTorch example's DCGAN at batch 64 and
# 512; that peer baseline lives outside the repository on purpose and is optional: gan_speed.py
# takes it by path, --reference PATH, and otherwise looks for ../shared/bench/dcgan_reference.py
# beside the repository), torch (torch backend on CUDA, 10,000 models x 100 discriminators, vs
# numpy on the same work), quality (gan-mnist default run, then population mode). The machine
# needs torch, numpy and scikit-learn; gymnasium, deap, tqdm, tomli-w, mlxtend and
# threadpoolctl travel as wheels in .whl/ and are installed first if present.
set -uo pipefail
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
PARTS=${PARTS:-"tests speed torch quality"}
export PYTHONUNBUFFERED=1 PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site:$PYTHONPATH
fi
# the package's environments live in environments/ and install as turinglearn.environments
ln -sfn ../environments turinglearn/environments 2>/dev/null || true
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" >> "$OUT/gpu.txt"

for part in $PARTS; do
  case $part in
    tests)
      timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests 2>&1 | tee "$OUT/gpu_tests.log" ;;
    speed)
      timeout 240 python3 benchmarks/gan_speed.py --device cuda --batches 64 512 --json "$OUT/gan_speed.json" \
        2>&1 | tee "$OUT/gan_speed.log" ;;
    torch)
      (cd benchmarks && timeout 200 python3 scale.py --part torch --device cuda --models 10000 --generations 2 \
        --json "$OUT/torch_backend.json") 2>&1 | tee "$OUT/torch_backend.log" ;;
    quality)
      timeout 300 python3 -m turinglearn run gan-mnist --device cuda --out /tmp/mnist --quiet 2>&1 \
        | tee "$OUT/gan_mnist.log"
      cp /tmp/mnist/summary.json "$OUT/gan_mnist_summary.json" 2>/dev/null
      timeout 300 python3 -m turinglearn run gan-mnist --device cuda --set learner.population=4 \
        --out /tmp/mnist-p4 --quiet 2>&1 | tee "$OUT/gan_mnist_p4.log"
      cp /tmp/mnist-p4/summary.json "$OUT/gan_mnist_p4_summary.json" 2>/dev/null ;;
  esac
done
ls -l "$OUT"
