"""Times sbi's NPE-B docstring example (the workload of `sbi-net demo`) with the real sbi, for side-by-side runs.

Usage (reference sbi sources on PYTHONPATH, see python/setup_sbi_reference.sh; OpenBLAS first on
LD_LIBRARY_PATH for fair timings):
    python3 python/seed_example_sbi.py --seeds 0 1 2 --threads 1
Prints per round the epochs, best validation loss and seconds, then the total, in the layout of
`sbi-net demo`. Nothing here re-implements sbi.
"""

import argparse
import time

import torch
from sbi.inference import NPE_B
from sbi.utils import BoxUniform


def run(seed: int, rounds: int, sims: int) -> float:
    start = time.perf_counter()
    torch.manual_seed(seed)
    prior = BoxUniform(low=torch.zeros(3), high=torch.ones(3))
    x_o = torch.randn(1, 3)
    inference = NPE_B(prior=prior, show_progress_bars=False)
    proposal = prior
    print(f"sbi seed example: seed {seed}, {rounds} rounds x {sims} simulations, {torch.get_num_threads()} thread(s)")
    print("round  epochs  best val loss  seconds")
    for r in range(rounds):
        clock = time.perf_counter()
        theta = proposal.sample((sims,))
        x = theta + 0.1 * torch.randn_like(theta)
        de = inference.append_simulations(theta, x, proposal=proposal).train()
        posterior = inference.build_posterior(de)
        proposal = posterior.set_default_x(x_o)
        s = inference.summary
        print(f"{r + 1:5d}  {s['epochs_trained'][-1]:6d}  {s['best_validation_loss'][-1]:13.5f}  {time.perf_counter() - clock:7.2f}")
    posterior.sample((1000,), x=x_o, show_progress_bars=False)
    total = time.perf_counter() - start
    print(f"total {total:.2f} s")
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sims", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    totals = [run(s, a.rounds, a.sims) for s in a.seeds]
    print("totals " + " ".join(f"{t:.2f}" for t in totals))


if __name__ == "__main__":
    main()
