"""Python sbi's side of `sbi-net bench sbc`: sbi's run_sbc on the bench task's MAF, timed, with the weights and the
SBC data written for Sbi.Net to time the same thing.

The bench task of `sbi-net bench train`: prior N(0, I_5), x = theta + 0.1 eps, 10,000 simulations, seed, sbi's
default MAF and training settings (optionally capped at --max-epochs). Then 1,000 fresh (theta, x) pairs and
run_sbc(thetas, xs, posterior, num_posterior_samples=1000) (batched sampling, "marginals"), best of --repeats runs
after one warm-up. Writes into --out:
    maf.pt          the trained estimator's state dict (Sbi.Net: SbiStateDict.Load)
    sbc_data.npz    thetas (1000, 5) and xs (1000, 5)
    sbi_sbc.json    seconds per run_sbc, wall and process CPU time (best and all), threads, sbi/torch versions, the
                    KS p-values of the ranks (on a shared machine the CPU time is the comparable figure: with one
                    thread it is the wall time the run would take alone)
With --out holding maf.pt and sbc_data.npz already, only the timing runs (the same weights and data again).
    PYTHONPATH=<sbi reference> LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \\
        /usr/bin/python3 python/bench_sbc_sbi.py --out /tmp/sbc-bench --threads 1
    sbi-net bench sbc --dir /tmp/sbc-bench --threads 1
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from torch.distributions import MultivariateNormal

import sbi
from sbi.diagnostics import run_sbc
from sbi.diagnostics.sbc import check_uniformity_frequentist
from sbi.inference import NPE_B


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--sims", type=int, default=10_000)
    ap.add_argument("--dim", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-epochs", type=int, default=2**31 - 1)
    ap.add_argument("--observations", type=int, default=1000)
    ap.add_argument("--posterior-samples", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    prior = MultivariateNormal(torch.zeros(a.dim), torch.eye(a.dim))
    weights, data = os.path.join(a.out, "maf.pt"), os.path.join(a.out, "sbc_data.npz")
    trainer = NPE_B(prior=prior, density_estimator="maf", show_progress_bars=False)
    if os.path.exists(weights) and os.path.exists(data):
        theta = prior.sample((200,))
        trainer.append_simulations(theta, theta + 0.1 * torch.randn_like(theta)).train(max_num_epochs=1)   # builds the network
        estimator = trainer._neural_net
        estimator.load_state_dict(torch.load(weights))
        d = np.load(data)
        thetas, xs = torch.from_numpy(d["thetas"]), torch.from_numpy(d["xs"])
        print(f"loaded {weights} and {data}")
    else:
        theta = prior.sample((a.sims,))
        x = theta + 0.1 * torch.randn_like(theta)
        clock = time.perf_counter()
        estimator = trainer.append_simulations(theta, x).train(max_num_epochs=a.max_epochs)
        print(f"trained maf on the bench task: {trainer.summary['epochs_trained'][-1]} epochs, {time.perf_counter() - clock:.1f} s")
        torch.save(estimator.state_dict(), weights)
        thetas = prior.sample((a.observations,))
        xs = thetas + 0.1 * torch.randn_like(thetas)
        np.savez(data, thetas=thetas.numpy(), xs=xs.numpy())
    posterior = trainer.build_posterior(estimator)

    run_sbc(thetas[:10], xs[:10], posterior, num_posterior_samples=100, show_progress_bar=False)   # warm-up
    seconds, cpu_seconds = [], []
    for _ in range(a.repeats):
        clock, cpu = time.perf_counter(), time.process_time()
        ranks, dap = run_sbc(thetas, xs, posterior, num_posterior_samples=a.posterior_samples, show_progress_bar=False)
        seconds.append(time.perf_counter() - clock)
        cpu_seconds.append(time.process_time() - cpu)
    ks = check_uniformity_frequentist(ranks, a.posterior_samples)
    result = {
        "seconds": min(seconds), "all_seconds": seconds, "cpu_seconds": min(cpu_seconds), "all_cpu_seconds": cpu_seconds,
        "threads": a.threads, "observations": len(thetas),
        "posterior_samples": a.posterior_samples, "ks_pvals": ks.tolist(),
        "sbi_version": sbi.__version__, "torch_version": torch.__version__,
    }
    with open(os.path.join(a.out, "sbi_sbc.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"sbi run_sbc: {len(thetas)} observations x {a.posterior_samples} posterior samples, {a.threads} thread(s): "
          f"best {min(seconds):.2f} s of {', '.join(f'{s:.2f}' for s in seconds)} wall, "
          f"best {min(cpu_seconds):.2f} s of {', '.join(f'{s:.2f}' for s in cpu_seconds)} CPU")
    print("KS p-values " + " ".join(f"{p:.3g}" for p in ks.tolist()))


if __name__ == "__main__":
    main()
