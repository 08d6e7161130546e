"""Python sbi's side of `sbi-net bench train`: the same Gaussian linear task, timed the same way.

Prior N(0, I_D), x = theta + 0.1 eps, `--sims` simulations, seed, one round, sbi defaults for the estimator,
optionally capped at `--max-epochs` (sbi runs max + 1 epochs, as Sbi.Net does). Prints epochs, training seconds and
seconds per epoch. Run with the reference sbi on PYTHONPATH and OpenBLAS first on LD_LIBRARY_PATH:
    python3 python/bench_train_sbi.py --estimator made --max-epochs 15 --threads 1
"""
import argparse
import time

import torch
from sbi.inference import NPE_B
from torch.distributions import MultivariateNormal


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--estimator", default="maf")
    ap.add_argument("--sims", type=int, default=10_000)
    ap.add_argument("--dim", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-epochs", type=int, default=2**31 - 1)
    ap.add_argument("--c2st", action="store_true",
                    help="also 5,000 posterior samples at x_o against the analytic posterior N(x_o/1.01, 0.01/1.01 I), "
                         "with sbi's c2st (MLP classifier, as sbibm; Sbi.Net's bench uses the same definition)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    prior = MultivariateNormal(torch.zeros(a.dim), torch.eye(a.dim))
    theta = prior.sample((a.sims,))
    x = theta + 0.1 * torch.randn_like(theta)
    # x_o drawn before training, in the order `sbi-net bench train` uses (same seed: same data and x_o when the
    # generators agree, which the printed x_o lets you check)
    theta_o = prior.sample((1,))
    x_o = theta_o + 0.1 * torch.randn_like(theta_o)
    trainer = NPE_B(prior=prior, density_estimator=a.estimator, show_progress_bars=False)
    clock = time.perf_counter()
    trainer.append_simulations(theta, x).train(max_num_epochs=a.max_epochs)
    seconds = time.perf_counter() - clock
    epochs = trainer.summary["epochs_trained"][-1]
    print(f"sbi bench train: estimator {a.estimator}, D={a.dim}, {a.sims} simulations, seed {a.seed}, {a.threads} thread(s)")
    print(f"epochs              {epochs}")
    print(f"training seconds    {seconds:.2f}")
    print(f"seconds per epoch   {seconds / epochs:.4f}")
    print(f"best validation     {trainer.summary['best_validation_loss'][-1]:.5f}")
    if a.c2st:
        from sbi.utils.metrics import c2st
        print("x_o                 " + " ".join(f"{v:.4f}" for v in x_o[0].tolist()))
        samples = trainer.build_posterior().sample((5000,), x=x_o, show_progress_bars=False)
        reference = x_o / 1.01 + (0.01 / 1.01) ** 0.5 * torch.randn(5000, a.dim)
        print(f"C2ST vs analytic    {float(c2st(samples, reference, seed=1, classifier='mlp')):.4f}")


if __name__ == "__main__":
    main()
