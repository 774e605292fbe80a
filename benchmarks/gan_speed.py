"""GAN training speed: turinglearn's GAN step against the PyTorch example's DCGAN, on the same device.

Both train the same networks (64x64 single-channel images, nz = 100, ngf = ndf = 64, Adam
2e-4 / (0.5, 0.999), the non-saturating loss, N(0, 0.02) init) with the same step (D on a real
and a detached fake batch, then G on that fake against the updated D) on random images.

- reference: the PyTorch example's DCGAN step, a peer baseline that lives outside the
  repository on purpose and is never copied in (docs/design.md, "The GAN speed baseline lives
  outside the repository"). It is optional for the project (nothing but this benchmark uses
  it) and given by path: ``--reference PATH`` (without it, ``dcgan_reference.py`` is looked
  for in ``../shared/bench/`` beside the repository). It runs as a subprocess (fp32 eager, a
  DataLoader over a CPU dataset), so that our process-wide settings (cuDNN autotuning) never
  reach it;
- ours: :class:`turinglearn.gan.train.GANLearner` with the config's speed settings (``--compile``,
  default auto: the whole step as one CUDA graph on CUDA, eager on the CPU; bf16 autocast and
  channels-last on CUDA; fused Adam; data resident on the device).

For every batch size it prints and records images per second (full training steps), FLOPs per
image (torch's FlopCounterMode; ours skips D's weight gradients in the G step, so it counts
fewer), the FLOP rate, the reference's FLOP count times our image rate (work-equivalent FLOP
rate), and the ratio ours / reference. Needs torch, not gymnasium.

    python benchmarks/gan_speed.py --device cuda --json gan_speed.json
    python benchmarks/gan_speed.py --device cpu --batches 16 64 --steps 5 --warmup 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a source tree without installing


def find_reference(given: str | None) -> Path:
    candidates = (
        [Path(given)]
        if given
        else [ROOT.parent / "shared/bench/dcgan_reference.py", ROOT / "shared/bench/dcgan_reference.py"]
    )
    for c in candidates:
        if c.is_file():
            return c.resolve()
    sys.exit(f"gan_speed: reference not found at {', '.join(map(str, candidates))}; give --reference PATH")


def run_reference(
    path: Path, device: str, batch: int, steps: int, warmup: int, images: int, workers: int | None
) -> dict:
    cmd = [sys.executable, str(path), "--device", device, "--batch", str(batch), "--steps", str(steps),
           "--warmup", str(warmup), "--images", str(max(images, 2 * batch))]  # fmt: skip
    if workers is not None:
        cmd += ["--workers", str(workers)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_ours(device: str, batch: int, steps: int, warmup: int, images: int, compile_mode: str) -> dict:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from turinglearn.config.gan import gan_config_from_dict
    from turinglearn.gan.data import ImageData
    from turinglearn.gan.train import GANLearner

    torch.manual_seed(0)
    data = ImageData(torch.rand(max(images, 2 * batch), 1, 64, 64) * 2 - 1, None, "random")

    def learner(mode: str, precision: str = "auto") -> GANLearner:
        cfg = gan_config_from_dict({
            "learner": {"kind": "gan", "batch": batch, "compile": mode, "precision": precision},
            "models": {"latent": 100, "width": 64}, "discriminators": {"width": 64},
            "execution": {"device": device},
        })  # fmt: skip
        return GANLearner(data, cfg)

    counting = learner("none", "fp32")  # FLOPs of one eager step (dtype does not change the count)
    inputs = counting.sample_inputs()
    with FlopCounterMode(display=False) as counter:
        counting.train_step(*inputs)
    flops_per_image = counter.get_total_flops() / batch
    del counting

    ours = learner(compile_mode)
    sync = torch.cuda.synchronize if ours.device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        ours.step()
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        ours.step()
    sync()
    seconds = time.perf_counter() - t0
    img_per_s = steps * batch / seconds
    return {
        "impl": "turinglearn", "device": torch.cuda.get_device_name() if ours.device.type == "cuda" else "cpu",
        "compile": ours.mode, "precision": "bf16" if ours.bf16 else "fp32",
        "channels_last": ours.memory_format == torch.channels_last, "batch": batch, "steps": steps,
        "seconds": round(seconds, 4), "img_per_s": round(img_per_s, 1), "flops_per_img": flops_per_image,
        "tflop_per_s": round(img_per_s * flops_per_image / 1e12, 3),
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--batches", type=int, nargs="+", default=[64, 512])
    p.add_argument("--steps", type=int, default=200, help="timed training steps")
    p.add_argument(
        "--warmup", type=int, default=20, help="untimed steps first (capture/compilation included)"
    )
    p.add_argument("--images", type=int, default=5000, help="size of the in-memory random data set")
    p.add_argument(
        "--workers", type=int, default=None, help="the reference's DataLoader workers (default: its own, 2)"
    )
    p.add_argument(
        "--compile", default="auto", help="our step: auto, none, compile, cudagraph, compile+cudagraph"
    )
    p.add_argument("--reference", default=None, help="path of dcgan_reference.py")
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    a = p.parse_args()
    import torch

    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    reference = find_reference(a.reference)
    rows = []
    print(f"{'batch':>6} {'impl':>12} {'img/s':>10} {'GFLOP/img':>10} {'TFLOP/s':>8} {'ratio':>6}  device")
    for batch in a.batches:
        ref = run_reference(reference, device, batch, a.steps, a.warmup, a.images, a.workers)
        ours = run_ours(device, batch, a.steps, a.warmup, a.images, a.compile)
        ratio = ours["img_per_s"] / ref["img_per_s"]
        ours["ratio"] = round(ratio, 3)
        ours["tflop_per_s_reference_work"] = round(ours["img_per_s"] * ref["flops_per_img"] / 1e12, 3)
        for r in (ref, ours):
            print(f"{batch:>6} {r['impl']:>12} {r['img_per_s']:>10.1f} {r['flops_per_img'] / 1e9:>10.3f} "
                  f"{r['tflop_per_s']:>8.3f} {r.get('ratio', 1.0):>6.2f}  {r['device']}")  # fmt: skip
        rows.append({"batch": batch, "reference": ref, "ours": ours, "ratio": round(ratio, 3)})
    result = {
        "device": rows[0]["ours"]["device"] if rows else device,
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "runs": rows,
    }
    if a.json:
        a.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"written: {a.json}")


if __name__ == "__main__":
    main()
