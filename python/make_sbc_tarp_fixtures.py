"""Records sbi's SBC and TARP results on fixed posterior samples, for tests/Sbi.Net.Tests/Diagnostics.

    PYTHONPATH=<sbi reference> /usr/bin/python3 python/make_sbc_tarp_fixtures.py tests/Sbi.Net.Tests/data/diagnostics

Writes sbc.npz, tarp.npz and ks.json there. Every result is what sbi 900821dc (sbi/diagnostics/sbc.py, tarp.py) and
scipy compute from the stored samples, so the C# tests feed the same samples and compare:

* sbc.npz: per case c (analytic Gaussian-linear posterior, calibrated / over-confident / under-confident, two sizes)
  thetas, xs, samples (L, N, D); sbi's ranks from `_run_sbc` for "marginals" and for a list of two reduce functions
  (theta[:, 0] + theta[:, 1] and theta[:, 1] * 2, exact in float32 on every machine); sbi's `check_uniformity_frequentist`
  (float32, as sbi returns it) and the float64 scipy p-values it rounds (`kstest(rks, uniform(0, L).cdf)[1]`).
* tarp.npz: per case (sbi's tarp_test toy Gaussians: correct, under-dispersed 0.25, over-dispersed 4, distance l2/l1,
  z-scoring on/off, num_bins) the samples, thetas, references; sbi's `_run_tarp` ecp/alpha (float32) and its
  `check_tarp` ATC and KS p-value on them, and on their float64 copies; sbi's torch.histogram counts; the exact
  companion: sbi's coverage values k/L binned exactly, the ECP and alpha from them in float64, `check_tarp` on those.
* ks.json: scipy's kstwo.sf(d, n) on a grid of (n, d) through every branch of `_kolmogn`, and ks_2samp p-values
  of equal-size samples (with ties), for the KS port.
"""
import json
import os
import sys

import numpy as np
import torch
from scipy.stats import kstest, kstwo, ks_2samp, uniform
from torch.distributions import Normal, Uniform

from sbi.diagnostics.sbc import _run_sbc, check_uniformity_frequentist
from sbi.diagnostics.tarp import _run_tarp, check_tarp, get_tarp_references
from sbi.utils.metrics import l1, l2

SIGMA = 0.5  # x = theta + SIGMA * eps, prior N(0, I): posterior N(x / (1 + SIGMA^2), SIGMA^2 / (1 + SIGMA^2) I)


def sbc_cases(out):
    arrays = {}
    cases = []
    for name, n, num_samples, dim, scale in [
        ("calibrated", 200, 100, 2, 1.0),
        ("overconfident", 200, 100, 2, 0.5),
        ("underconfident", 200, 100, 2, 2.0),
        ("calibrated_small", 100, 50, 3, 1.0),   # n <= 140: scipy's Durbin/Pomeranz branches
    ]:
        torch.manual_seed(len(cases) + 1)
        thetas = torch.randn(n, dim)
        xs = thetas + SIGMA * torch.randn(n, dim)
        mean = xs / (1 + SIGMA**2)
        std = scale * (SIGMA**2 / (1 + SIGMA**2)) ** 0.5
        samples = mean.unsqueeze(0) + std * torch.randn(num_samples, n, dim)
        ranks = _run_sbc(thetas, xs, samples, "marginals", show_progress_bar=False)
        fns = [lambda th, x: th[:, 0] + th[:, 1], lambda th, x: th[:, 1] * 2]
        ranks_fns = _run_sbc(thetas, xs, samples, fns, show_progress_bar=False)
        p32 = check_uniformity_frequentist(ranks, num_samples)
        p64 = np.array([kstest(r.numpy(), uniform(loc=0, scale=num_samples).cdf)[1] for r in ranks.T], dtype=np.float64)
        for key, value in {"thetas": thetas, "xs": xs, "samples": samples, "ranks": ranks, "ranks_fns": ranks_fns,
                           "ks_pvals_f32": p32}.items():
            arrays[f"{name}/{key}"] = value.numpy()
        arrays[f"{name}/ks_pvals_f64"] = p64
        cases.append(name)
        print(f"sbc {name}: ks {p64}")
    np.savez_compressed(os.path.join(out, "sbc.npz"), cases=np.array(cases), **arrays)


def toy_gaussian(nsamples, nsims, ndims, covfactor):
    """sbi's tests/tarp_test.py generate_toy_gaussian (the TARP paper's section 4.1 toy model)."""
    base_mean = Uniform(-5, 5)
    base_log_var = Uniform(-5, -1)
    locs = base_mean.sample((nsims, ndims))
    scales = torch.exp(base_log_var.sample((nsims, ndims)))
    spdf = Normal(loc=locs, scale=covfactor * scales)
    tpdf = Normal(loc=locs, scale=scales)
    samples = spdf.sample((nsamples,))
    theta_prime = tpdf.sample()
    return theta_prime, samples


def closer_counts(samples, thetas, references, distance, z_score_theta):
    """The lines of sbi's _run_tarp up to the coverage values (sbi/diagnostics/tarp.py at 900821dc), before the
    division by the number of posterior samples."""
    if z_score_theta:
        lo = thetas.min(dim=0, keepdim=True).values
        hi = thetas.max(dim=0, keepdim=True).values
        samples = (samples - lo) / (hi - lo + 1e-10)
        thetas = (thetas - lo) / (hi - lo + 1e-10)
        references = (references - lo) / (hi - lo + 1e-10)
    sample_dists = distance(references, samples)
    theta_dists = distance(references, thetas)
    return torch.sum(sample_dists < theta_dists, dim=0)


def tarp_cases(out):
    arrays = {}
    cases = []
    for name, covfactor, distance, z_score, num_bins in [
        ("correct_l2", 1.0, "l2", False, None),
        ("correct_l1_z", 1.0, "l1", True, 30),
        ("underdispersed", 0.25, "l2", True, 30),
        ("overdispersed", 4.0, "l2", False, 50),
    ]:
        torch.manual_seed(100 + len(cases))
        theta, samples = toy_gaussian(100, 200, 2, covfactor)
        references = get_tarp_references(theta)
        dist = l2 if distance == "l2" else l1
        ecp, alpha = _run_tarp(samples, theta, references, distance=dist, num_bins=num_bins, z_score_theta=z_score)
        atc32, ks32 = check_tarp(ecp, alpha)
        atc_sbi64, ks_sbi64 = check_tarp(ecp.double(), alpha.double())
        # Exact companion: sbi's coverage values are k_i / L (k_i counted by sbi's own lines), binned here in exact
        # integer arithmetic into sbi's equal-width bins between the smallest and largest value; ECP_j is the fraction
        # of values in the first j bins (what sbi's density cumsum is with equal widths) and alpha_j = (k_min bins +
        # j (k_max - k_min)) / (bins L) in one rounding. sbi's float32 counts (torch.histogram) are stored beside them:
        # lattice values k / L on an edge land in the bin that the last bit of torch's float32 linspace chooses.
        closer = closer_counts(samples, theta, references, dist, z_score)
        num_samples = samples.shape[0]
        cov = closer / num_samples
        bins = num_bins if num_bins is not None else theta.shape[0] // 10
        counts32, _ = torch.histogram(cov, bins=bins)
        kmin, kmax = int(closer.min()), int(closer.max())
        counts = np.zeros(bins, dtype=np.int64)
        for k in closer.tolist():
            counts[min((k - kmin) * bins // (kmax - kmin), bins - 1)] += 1
        ecp64 = torch.tensor([0.0] + (np.cumsum(counts) / len(closer)).tolist(), dtype=torch.float64)
        a64 = torch.tensor([(kmin * bins + j * (kmax - kmin)) / (bins * num_samples) for j in range(bins + 1)], dtype=torch.float64)
        atc64, ks64 = check_tarp(ecp64, a64)
        for key, value in {"thetas": theta, "samples": samples, "references": references, "ecp": ecp, "alpha": alpha,
                           "coverage": cov, "counts_f32": counts32, "counts": torch.from_numpy(counts), "ecp_f64": ecp64, "alpha_f64": a64}.items():
            arrays[f"{name}/{key}"] = value.numpy()
        arrays[f"{name}/check_f32"] = np.array([atc32, ks32], dtype=np.float64)
        arrays[f"{name}/check_sbi_f64"] = np.array([atc_sbi64, ks_sbi64], dtype=np.float64)
        arrays[f"{name}/check_f64"] = np.array([atc64, ks64], dtype=np.float64)
        arrays[f"{name}/settings"] = np.array([1.0 if distance == "l1" else 2.0, 1.0 if z_score else 0.0,
                                               float(num_bins) if num_bins is not None else -1.0])
        cases.append(name)
        print(f"tarp {name}: atc {atc32:.5f} ks {ks32:.3g} (f64 {atc64:.5f} {ks64:.3g})")
    np.savez_compressed(os.path.join(out, "tarp.npz"), cases=np.array(cases), **arrays)


def ks_cases(out):
    one = []
    # Every branch of scipy's _kolmogn for the SF: Ruben-Gambino (t <= 1, t >= n - 1), x >= 0.5, n <= 140 (Durbin,
    # Pomeranz, Smirnov), n > 140 (Smirnov above n x^2 = 2.2, Durbin, Pelz-Good, 0 above 370).
    for n in [3, 10, 50, 100, 140, 141, 200, 500, 1000, 2000]:
        for d in [0.6 / n, 0.9 / n, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.45, 0.5, 0.7, 1 - 0.5 / n]:
            if 0 < d < 1:
                one.append({"n": n, "d": d, "sf": float(kstwo.sf(d, n))})
    two = []
    rng = np.random.default_rng(7)
    for n in [5, 21, 31, 51, 101]:
        for shift in [0.0, 0.1, 0.3, 1.0]:
            a = np.round(rng.uniform(0, 1, n), 2)          # ties within and between the samples
            b = np.round(rng.uniform(0, 1, n) + shift, 2)
            r = ks_2samp(a, b)
            two.append({"a": a.tolist(), "b": b.tolist(), "statistic": float(r.statistic), "pvalue": float(r.pvalue)})
    with open(os.path.join(out, "ks.json"), "w") as f:
        json.dump({"kstwo_sf": one, "ks_2samp": two}, f, indent=0)
    print(f"ks: {len(one)} one-sample and {len(two)} two-sample values")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/Sbi.Net.Tests/data/diagnostics"
    os.makedirs(out, exist_ok=True)
    sbc_cases(out)
    tarp_cases(out)
    ks_cases(out)


if __name__ == "__main__":
    main()
