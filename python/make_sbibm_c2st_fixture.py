#!/usr/bin/python3
"""Records sbibm's C2ST, computed by the real scikit-learn, on fixed samples: tests/Sbi.Net.Tests/data/sbibm_c2st.npz.

sbibm's c2st (sbi-benchmark/sbibm, sbibm/metrics/c2st.py) is: z-score X and Y with X's mean and unbiased std
(torch, float32), MLPClassifier(activation="relu", hidden_layer_sizes=(10*D, 10*D), max_iter=10000, solver="adam",
random_state=seed), KFold(n_splits=5, shuffle=True, random_state=seed), cross_val_score(scoring="accuracy"), the
mean as float32. `sbibm_c2st` below makes those calls (sbibm itself is not installed here; the calls are the ones
its file makes). SbibmC2stTests compares Sbi.Metrics.SbibmC2st with the recorded values.

The file holds, per case k: `case{k}/X`, `case{k}/Y` (float32 samples), `case{k}/c2st` (seed 1),
`case{k}/c2st_seeds` (seeds 1..10, sklearn's own spread over seeds) and `case{k}/n_iter` (epochs per fold, seed 1);
and the NumPy RandomState streams the C# port must reproduce: `mt/seed1_random_sample` (first 16 doubles of
RandomState(1)), `mt/seed1_shuffle20` (RandomState(1).shuffle(arange(20))), `mt/seed7_uniform` (uniform(-0.3, 0.3,
(4, 5)) of RandomState(7)), `mt/kfold_n23_seed1` (KFold(5, shuffle=True, random_state=1) test folds of 23 rows,
concatenated) and `mt/seed1_shuffle70000_every997` (every 997th entry of RandomState(1).shuffle(arange(70000)),
whose bounded draws cross the 2^16 mask).

Run from the repository root with the Python reference (numpy, torch, scikit-learn 1.2.1):
    PYTHONPATH=... /usr/bin/python3 python/make_sbibm_c2st_fixture.py
Samples are drawn from numpy RandomState(20240) and sbibm's shared reference posteriors, if given with --sbibm-dir
(two_moons and slcp cases; defaults to ../shared/sbibm).
"""
import argparse
import os
import time

import numpy as np
import sklearn
import torch
from sklearn.model_selection import KFold, cross_validate
from sklearn.neural_network import MLPClassifier

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "Sbi.Net.Tests", "data", "sbibm_c2st.npz")


def sbibm_c2st(X: torch.Tensor, Y: torch.Tensor, seed: int = 1):
    """sbibm.metrics.c2st with its defaults (n_folds=5, scoring="accuracy", z_score=True, noise_scale=None).

    Returns the float32 score and the epochs each fold's classifier ran."""
    X_mean = torch.mean(X, dim=0)
    X_std = torch.std(X, dim=0)
    X = ((X - X_mean) / X_std).cpu().numpy()
    Y = ((Y - X_mean) / X_std).cpu().numpy()
    ndim = X.shape[1]
    clf = MLPClassifier(activation="relu", hidden_layer_sizes=(10 * ndim, 10 * ndim), max_iter=10000,
                        solver="adam", random_state=seed)
    data = np.concatenate((X, Y))
    target = np.concatenate((np.zeros((X.shape[0],)), np.ones((Y.shape[0],))))
    shuffle = KFold(n_splits=5, shuffle=True, random_state=seed)
    # cross_validate is cross_val_score plus the fitted estimators (for their n_iter_); the scores are the same.
    res = cross_validate(clf, data, target, cv=shuffle, scoring="accuracy", return_estimator=True)
    score = np.asarray(np.mean(res["test_score"])).astype(np.float32)
    return float(score), [int(e.n_iter_) for e in res["estimator"]]


def cases(sbibm_dir):
    rs = np.random.RandomState(20240)
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)
    out = []
    # 1. two 2-D normals half a standard deviation apart (Bayes accuracy Phi(0.25) = 0.599)
    out.append(("normal shift 0.5 sd, D=2", f32(rs.randn(1000, 2)), f32(rs.randn(1000, 2) + [0.5, 0.0])))
    # 2. 5-D normals 0.5 sd apart in every coordinate (Bayes accuracy Phi(0.5 sqrt(5) / 2) = 0.712)
    out.append(("normal shift 0.5 sd per coordinate, D=5", f32(rs.randn(1000, 5)), f32(rs.randn(1000, 5) + 0.5)))
    # 3. 10-D normals 0.3 sd apart in every coordinate (Bayes accuracy Phi(0.3 sqrt(10) / 2) = 0.683)
    out.append(("normal shift 0.3 sd per coordinate, D=10", f32(rs.randn(500, 10)), f32(rs.randn(500, 10) + 0.3)))
    tm = os.path.join(sbibm_dir, "two_moons.npz")
    if os.path.exists(tm):
        ref = np.load(tm)["reference_samples"]
        # 4. two_moons: observation 1's reference posterior against observation 3's
        out.append(("two_moons reference, obs 1 vs obs 3", f32(ref[0, :1000]), f32(ref[2, :1000])))
        # 5. two_moons: observation 1's reference against itself with Gaussian jitter (sd 0.02)
        out.append(("two_moons reference, obs 1 vs jittered", f32(ref[0, 1000:2000]),
                    f32(ref[0, 2000:3000] + 0.02 * rs.randn(1000, 2))))
        # 6. the benchmark's size: observation 1's 10,000 reference samples against themselves blurred (sd 0.03)
        out.append(("two_moons reference, 10,000 vs blurred", f32(ref[0]), f32(ref[0] + 0.03 * rs.randn(10000, 2))))
    else:
        print(f"{tm} not found: two_moons cases skipped")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbibm-dir", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "sbibm"))
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--seeds", type=int, default=5, help="seeds 1..N for sklearn's own spread")
    a = ap.parse_args()
    torch.set_num_threads(1)
    arrays = {}
    rs = np.random.RandomState(1)
    arrays["mt/seed1_random_sample"] = rs.random_sample(16)
    idx = np.arange(20)
    np.random.RandomState(1).shuffle(idx)
    arrays["mt/seed1_shuffle20"] = idx.astype(np.int64)
    arrays["mt/seed7_uniform"] = np.random.RandomState(7).uniform(-0.3, 0.3, (4, 5))
    folds = [test for _, test in KFold(n_splits=5, shuffle=True, random_state=1).split(np.zeros((23, 1)))]
    arrays["mt/kfold_n23_seed1"] = np.concatenate(folds).astype(np.int64)
    big = np.arange(70000)
    np.random.RandomState(1).shuffle(big)
    arrays["mt/seed1_shuffle70000_every997"] = big[::997].astype(np.int64)
    names = []
    for k, (name, X, Y) in enumerate(cases(a.sbibm_dir)):
        t = time.perf_counter()
        score, n_iter = sbibm_c2st(torch.from_numpy(X), torch.from_numpy(Y), seed=1)
        spread = [sbibm_c2st(torch.from_numpy(X), torch.from_numpy(Y), seed=s)[0] for s in range(1, a.seeds + 1)]
        print(f"case{k} {name}: c2st {score:.4f} (epochs per fold {n_iter}); seeds 1..{a.seeds}: mean "
              f"{np.mean(spread):.4f}, sd {np.std(spread, ddof=1):.4f}  [{time.perf_counter() - t:.1f} s]")
        arrays[f"case{k}/X"] = X
        arrays[f"case{k}/Y"] = Y
        arrays[f"case{k}/c2st"] = np.float32(score)
        arrays[f"case{k}/c2st_seeds"] = np.array(spread, dtype=np.float32)
        arrays[f"case{k}/n_iter"] = np.array(n_iter, dtype=np.int64)
        names.append(name)
    arrays["case_names"] = np.array(names)
    arrays["versions"] = np.array(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, torch {torch.__version__}")
    np.savez(a.out, **arrays)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
