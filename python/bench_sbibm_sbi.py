"""Python sbi's side of `sbi-net bench sbibm`: sbi's NPE on the simulations Sbi.Net saved, scored by sbibm's C2ST.

`sbi-net bench sbibm --task T --sims N,... --save DIR` writes DIR/T_N_theta.npy and DIR/T_N_x.npy (the one-round
simulations it trained on) and DIR/T_N_r1_obs<k>_samples.npy (its posterior samples). This script trains sbi's NPE
(NPE_C, i.e. sbibm's single-round SNPE-C: the maximum-likelihood loss Sbi.Net's NPE-B uses in round one) on the
same θ and x with sbibm's settings (NSF, hidden_features 50, z-scored θ and x, training_batch_size min(10000, N),
sbi's other defaults), draws 10,000 samples per observation and scores them with sbibm's C2ST (scikit-learn, as
sbibm/metrics/c2st.py; python/make_sbibm_c2st_fixture.py holds the calls). `--score-sbi-net` also scores Sbi.Net's
saved samples with the same scikit-learn C2ST, so both sides are judged by one implementation.

Run with the reference sbi on PYTHONPATH and OpenBLAS first on LD_LIBRARY_PATH, the same thread count as Sbi.Net:
    python3 python/bench_sbibm_sbi.py --task two_moons --sims 1000 --save DIR --sbibm-dir ../shared/sbibm \
        --threads 1 --seed 0 --out sbi.csv [--score-sbi-net]
Columns as Sbi.Net's --out (implementation "sbi"; "sbi-net (sklearn)" rows for --score-sbi-net).
"""
import argparse
import csv
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_sbibm_c2st_fixture import sbibm_c2st  # noqa: E402

HEADER = ["implementation", "task", "sims", "rounds", "observation", "c2st", "seconds", "simulation_seconds",
          "training_seconds", "sampling_seconds", "c2st_seconds", "epochs", "seed", "threads"]


def prior_of(task: str):
    from sbi.utils import BoxUniform
    from torch.distributions import MultivariateNormal
    if task == "two_moons":
        return BoxUniform(-torch.ones(2), torch.ones(2))
    if task == "gaussian_linear":
        # sbibm: precision_matrix = inverse(0.1 * I), i.e. covariance 0.1 I
        return MultivariateNormal(torch.zeros(10), covariance_matrix=0.1 * torch.eye(10))
    if task == "gaussian_linear_uniform":
        return BoxUniform(-torch.ones(10), torch.ones(10))
    if task == "slcp":
        return BoxUniform(-3 * torch.ones(5), 3 * torch.ones(5))
    raise SystemExit(f"unknown task {task}")


def observations(text: str):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        for k in range(int(lo), int(hi or lo) + 1):
            if k not in out:
                out.append(k)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", required=True)
    ap.add_argument("--sims", default="1000,10000,100000")
    ap.add_argument("--save", required=True, help="the folder sbi-net bench sbibm --save wrote")
    ap.add_argument("--sbibm-dir", default=os.path.join("..", "shared", "sbibm"))
    ap.add_argument("--observations", default="1-10")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--batch-size", type=int, default=10_000, help="before sbibm's cap at the simulations (sbibm: 10000)")
    ap.add_argument("--score-sbi-net", action="store_true", help="also score Sbi.Net's saved samples with scikit-learn")
    ap.add_argument("--out", help="CSV file to write (appended to when it exists)")
    a = ap.parse_args()

    from sbi.inference import NPE
    from sbi.neural_nets import posterior_nn

    torch.set_num_threads(a.threads)
    ref = np.load(os.path.join(a.sbibm_dir, a.task + ".npz"))
    rows = []
    print(f"sbi bench sbibm: {a.task}; NPE (sbi {__import__('sbi').__version__}), nsf, hidden 50, z-scored theta and x; "
          f"seed {a.seed}; {a.threads} thread(s)")
    for sims in [int(s) for s in a.sims.split(",")]:
        theta = torch.from_numpy(np.load(os.path.join(a.save, f"{a.task}_{sims}_theta.npy")))
        x = torch.from_numpy(np.load(os.path.join(a.save, f"{a.task}_{sims}_x.npy")))
        torch.manual_seed(a.seed)
        prior = prior_of(a.task)
        builder = posterior_nn(model="nsf", hidden_features=50, z_score_theta="independent", z_score_x="independent")
        trainer = NPE(prior=prior, density_estimator=builder, show_progress_bars=False)
        clock = time.perf_counter()
        trainer.append_simulations(theta, x).train(training_batch_size=min(a.batch_size, sims))
        train_s = time.perf_counter() - clock
        epochs = trainer.summary["epochs_trained"][-1]
        posterior = trainer.build_posterior()
        print(f"\n{a.task}, {sims:,} simulations: training {train_s:.1f} s ({epochs} epochs)")
        print(f"{'obs':>4} {'C2ST':>7} {'sample s':>9} {'C2ST s':>7}" + ("  sbi-net (sklearn C2ST)" if a.score_sbi_net else ""))
        cell = []
        for k in observations(a.observations):
            x_o = torch.from_numpy(ref["observations"][k - 1]).unsqueeze(0)
            reference = torch.from_numpy(ref["reference_samples"][k - 1])
            torch.manual_seed(a.seed + k)
            clock = time.perf_counter()
            samples = posterior.sample((a.samples,), x=x_o, show_progress_bars=False)
            sample_s = time.perf_counter() - clock
            clock = time.perf_counter()
            score, _ = sbibm_c2st(reference, samples.float())
            c2st_s = time.perf_counter() - clock
            cell.append(score)
            rows.append(["sbi", a.task, sims, 1, k, score, train_s + sample_s, 0.0, train_s, sample_s, c2st_s, epochs, a.seed, a.threads])
            extra = ""
            if a.score_sbi_net:
                path = os.path.join(a.save, f"{a.task}_{sims}_r1_obs{k}_samples.npy")
                theirs = torch.from_numpy(np.load(path))
                clock = time.perf_counter()
                s2, _ = sbibm_c2st(reference, theirs)
                rows.append(["sbi-net (sklearn)", a.task, sims, 1, k, s2, 0.0, 0.0, 0.0, 0.0, time.perf_counter() - clock, 0, a.seed, a.threads])
                extra = f"  {s2:.4f}"
            print(f"{k:>4} {score:>7.4f} {sample_s:>9.3f} {c2st_s:>7.1f}{extra}", flush=True)
        sd = float(np.std(cell, ddof=1)) if len(cell) > 1 else 0.0
        print(f"{a.task} {sims:,}: C2ST {np.mean(cell):.3f} ± {sd:.3f} ({len(cell)} obs); training {train_s:.1f} s ({epochs} epochs)")
    if a.out:
        new = not os.path.exists(a.out)
        with open(a.out, "a", newline="") as f:
            w = csv.writer(f)
            if new:
                w.writerow(HEADER)
            w.writerows(rows)
        print(f"wrote {len(rows)} rows to {a.out}")


if __name__ == "__main__":
    main()
