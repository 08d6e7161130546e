"""Statistical parity references: sbi trained from scratch, analytic posteriors, and sbi's own C2ST.

These are slow (full training until sbi's early stopping) and only run live; the C# side trains Sbi.Net on
the very simulations returned here and compares posterior samples with sbi's C2ST.
"""

import numpy as np
import torch
from scipy.stats import truncnorm

from sbi.inference import NPE_B
from sbi.utils import BoxUniform
from sbi.utils.metrics import c2st as sbi_c2st

from sbi_parity_common import np32


def c2st_case(x: np.ndarray, y: np.ndarray, seed: int = 1):
    """sbi.utils.metrics.c2st with its defaults (random forest, 5 folds, z-scored by X)."""
    score = sbi_c2st(torch.from_numpy(np.asarray(x, np.float32)), torch.from_numpy(np.asarray(y, np.float32)), seed=seed)
    return {}, {"case": "c2st", "c2st": float(score)}


def gaussian_linear_case(d: int = 5, n: int = 10000, seed: int = 1, n_samples: int = 10000):
    """sbi's linear-Gaussian test task: prior N(0, I), x = θ - 1 + sqrt(0.3) ε, x_o = 0; analytic Gaussian posterior."""
    prior = torch.distributions.MultivariateNormal(torch.zeros(d), torch.eye(d))
    shift, noise_var = -1.0, 0.3
    torch.manual_seed(seed)
    theta = prior.sample((n,))
    x = theta + shift + noise_var ** 0.5 * torch.randn(n, d)
    x_o = torch.zeros(1, d)
    trainer = NPE_B(prior=prior, show_progress_bars=False)
    net = trainer.append_simulations(theta, x, proposal=prior).train()
    posterior = trainer.build_posterior(net)
    samples = posterior.sample((n_samples,), x=x_o, show_progress_bars=False)
    post_var = 1.0 / (1.0 + 1.0 / noise_var)
    post_mean = post_var * (x_o[0] - shift) / noise_var
    torch.manual_seed(seed + 1)
    analytic = post_mean + post_var ** 0.5 * torch.randn(n_samples, d)
    arrays = {"theta": np32(theta), "x": np32(x), "x_o": np32(x_o), "samples": np32(samples),
              "analytic_samples": np32(analytic), "analytic_mean": np.full(d, float(post_mean[0])),
              "analytic_var": np.full(d, post_var)}
    info = {"case": "gaussian_linear", "D": d, "n": n, "seed": seed,
            "epochs_trained": [int(e) for e in trainer.summary["epochs_trained"]],
            "c2st_vs_analytic": c2st_case(samples.numpy(), analytic.numpy())[1]["c2st"]}
    return arrays, info


def seed_example_case(seed: int = 1, rounds: int = 5, per_round: int = 100, n_samples: int = 10000):
    """The example of NPE_B's docstring (REFERENCE.md case C), plus its analytic truncated-normal posterior."""
    torch.manual_seed(seed)
    prior = BoxUniform(low=torch.zeros(3), high=torch.ones(3))
    x_o = torch.randn(1, 3)

    def simulator(theta):
        return theta + 0.1 * torch.randn_like(theta)

    inference = NPE_B(prior=prior, show_progress_bars=False)
    proposal = prior
    arrays = {}
    for r in range(rounds):
        theta = proposal.sample((per_round,)) if r == 0 else proposal.sample((per_round,), show_progress_bars=False)
        x = simulator(theta)
        if r == 0:
            arrays.update(theta0=np32(theta), x0=np32(x))
        de = inference.append_simulations(theta, x, proposal=proposal).train()
        posterior = inference.build_posterior(de)
        proposal = posterior.set_default_x(x_o)
    samples = posterior.sample((n_samples,), x=x_o, show_progress_bars=False)
    xo = x_o[0].double().numpy()
    lo, hi = (0.0 - xo) / 0.1, (1.0 - xo) / 0.1
    analytic = truncnorm.rvs(lo, hi, loc=xo, scale=0.1, size=(n_samples, 3), random_state=np.random.default_rng(seed))
    arrays.update(x_o=np32(x_o), samples=np32(samples), analytic_samples=analytic.astype(np.float32))
    info = {"case": "seed_example", "seed": seed,
            "epochs_trained": [int(e) for e in inference.summary["epochs_trained"]],
            "leakage_acceptance": float(posterior.leakage_correction(x_o)),
            "c2st_vs_analytic": c2st_case(samples.numpy(), analytic)[1]["c2st"]}
    return arrays, info
