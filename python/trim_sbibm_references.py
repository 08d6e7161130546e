#!/usr/bin/python3
"""Copies sbibm's shared reference files, trimmed, into tests/Sbi.Bench.Tests/data/sbibm/ (numpy only).

The shared folder (../shared/sbibm, or --src) holds per task observations (10, dim_x), reference_samples
(10, 10000, dim_theta), true_parameters (10, dim_theta) and observation_seeds (10,). The tests need every
observation and true parameter but not 10,000 reference samples each, so the first --keep (1000) are kept; the
arrays are otherwise byte-identical. Run from the repository root:
    /usr/bin/python3 python/trim_sbibm_references.py --src /path/to/shared/sbibm
"""
import argparse
import os

import numpy as np

TASKS = ["two_moons", "gaussian_linear", "gaussian_linear_uniform", "slcp"]
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=os.path.join(HERE, "..", "..", "shared", "sbibm"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "tests", "Sbi.Bench.Tests", "data", "sbibm"))
    ap.add_argument("--keep", type=int, default=1000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for task in TASKS:
        f = np.load(os.path.join(a.src, task + ".npz"))
        arrays = {k: f[k] for k in f.files}
        arrays["reference_samples"] = np.ascontiguousarray(arrays["reference_samples"][:, : a.keep])
        path = os.path.join(a.out, task + ".npz")
        np.savez(path, **arrays)
        print(f"{path}: " + ", ".join(f"{k} {v.dtype}{v.shape}" for k, v in arrays.items()))


if __name__ == "__main__":
    main()
