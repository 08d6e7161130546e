"""Python sbi's side of `sbi-net bench gpu`: the same task and timings, run on the same GPU machine.

Gaussian linear task (D = 5, prior N(0, I), x = theta + 0.1 * eps), 100,000 simulations, MAF defaults, seconds per
epoch (median over --epochs) at each batch size, then 1,000,000 posterior samples. sbi's sources (sbi, nflows, zuko,
...) travel with the run on PYTHONPATH; they are never committed. Prints one JSON line per measurement.

    python3 python/gpu_bench_sbi.py --device cuda --epochs 3 --batches 200,2000,20000
"""
import argparse
import json
import statistics
import time

import torch
from sbi.inference import NPE_B
from torch.distributions import MultivariateNormal


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--sims", type=int, default=100_000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batches", default="200,2000,20000")
    ap.add_argument("--samples", type=int, default=1_000_000)
    args = ap.parse_args()
    dev = args.device
    torch.manual_seed(0)
    prior = MultivariateNormal(torch.zeros(5, device=dev), torch.eye(5, device=dev))
    theta = prior.sample((args.sims,))
    x = theta + 0.1 * torch.randn_like(theta)
    trainer = None
    for b in (int(v) for v in args.batches.split(",")):
        trainer = NPE_B(prior=prior, device=dev, show_progress_bars=False)
        trainer.append_simulations(theta, x).train(
            training_batch_size=b, max_num_epochs=args.epochs - 1, stop_after_epochs=1000)
        d = trainer.summary["epoch_durations_sec"]
        print(json.dumps({"side": "sbi", "device": dev, "batch": b, "epochs": len(d),
                          "median_s_per_epoch": statistics.median(d), "min_s_per_epoch": min(d)}), flush=True)
    posterior = trainer.build_posterior().set_default_x(x[:1])
    posterior.sample((10_000,), show_progress_bars=False)
    if dev.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    s = posterior.sample((args.samples,), show_progress_bars=False, max_sampling_batch_size=1_000_000)
    if dev.startswith("cuda"):
        torch.cuda.synchronize()
    sec = time.perf_counter() - t0
    print(json.dumps({"side": "sbi", "device": dev, "samples": args.samples, "seconds": sec,
                      "per_second": args.samples / sec, "shape": list(s.shape)}), flush=True)
    print(json.dumps({"versions": {"torch": torch.__version__, "sbi": __import__("sbi").__version__}}), flush=True)


if __name__ == "__main__":
    main()
