#!/usr/bin/env python3
"""Writes the parity fixtures that the committed REFERENCE.md set lacks, with the real sbi.

  loss_{est}_D{D}.npz  NPE-B loss / importance weights / one Adam step (REFERENCE.md case B recipe, see
                       sbi_parity_cases.loss_case) for est in maf, nsf, mdn, made and D in 1, 5, plus made D = 2
                       (maf, nsf, mdn at D = 2 are the committed loss_{est}.npz).
  direct_{est}_D2.npz  DirectPosterior of the committed {est}_D2.npz weights at an observation near a corner of
                       the prior box (strong leakage): rejection-sample moments, leakage factor, log_prob.

  --add-float64        every fixture (the committed REFERENCE.md set too) gets its float64 companions under
                       `f64/` (python/sbi_parity_float64.py): sbi's estimator with the file's own weights, in
                       double precision, on the file's own inputs. Every other array is copied unchanged.

Run with the reference Python (see python/setup_sbi_reference.sh), from anywhere:
  /usr/bin/python3 python/make_parity_fixtures.py [--only PATTERN] [--force] [--add-float64]
sbi's TensorBoard logs go to a temporary folder. Every file records the versions that made it in meta_json.
"""

import argparse
import fnmatch
import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "parity", "fixtures")
ESTIMATORS = ("maf", "nsf", "mdn", "made")
LOSS_SEED = {"maf": 7100, "nsf": 7200, "mdn": 7300, "made": 7400}
DIRECT_THETA_O = (1.9, -1.9)  # near the corner of the [-2, 2]^2 box: a good part of each posterior leaks out


def jobs():
    for est in ESTIMATORS:
        for d in ((1, 2, 5) if est == "made" else (1, 5)):
            yield f"loss_{est}_D{d}.npz", ("loss", est, d)
    for est in ESTIMATORS:
        yield f"direct_{est}_D2.npz", ("direct", est, 2)


def make(kind: str, est: str, d: int):
    import sbi_parity_cases as cases

    if kind == "loss":
        seed = LOSS_SEED[est] + d
        arrays, info = cases.loss_case(est, d, seed=seed)
        # The clip-0.1 step doubles the file for little: the committed D = 2 files already cover active
        # clipping; its pre-clip gradient norm is kept.
        arrays = {k: v for k, v in arrays.items() if not k.startswith("step_round0_clip/")}
        info["recipe"] = "sbi_parity_cases.loss_case (REFERENCE.md case B with an explicit p2 leakage call)"
        return arrays, info
    src = os.path.join(FIXTURES, f"{est}_D{d}.npz")
    with np.load(src, allow_pickle=False) as z:
        weights = {k: z[k] for k in z.files if k.startswith("sd/")}
        config_json, a = str(z["config_json"]), z["A"]
    x_o = (np.array([DIRECT_THETA_O], dtype=np.float32) @ a.T).astype(np.float32)
    arrays, info = cases.direct_case(est, d, weights, x_o)
    arrays["config_json"] = np.array(config_json)
    info.update(weights_from=os.path.basename(src), theta_o=list(DIRECT_THETA_O),
                recipe="sbi_parity_cases.direct_case")
    return arrays, info


def _direct_weights(name: str, out_dir: str):
    if not name.startswith("direct_"):
        return None
    with np.load(os.path.join(out_dir, name[len("direct_"):]), allow_pickle=False) as w:
        return {k: w[k] for k in w.files if k.startswith("sd/")}


def add_float64(out_dir: str, pattern: str):
    """Rewrites each matching fixture with its float64 companions (earlier f64/ arrays replaced, the rest kept
    bit for bit and in order); written to a temporary file in the folder and renamed into place."""
    import sbi_parity_float64 as f64

    for name in sorted(os.listdir(out_dir)):
        if not name.endswith(".npz") or not fnmatch.fnmatch(name, pattern):
            continue
        path = os.path.join(out_dir, name)
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if not k.startswith(f64.PREFIX)}
        extra = f64.companions(arrays, _direct_weights(name, out_dir))
        if not extra:
            continue
        arrays.update(extra)
        tmp = path + f".tmp-{os.getpid()}.npz"
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, path)
        print(f"{name}: {len(extra)} float64 companions, {os.path.getsize(path):,} bytes", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="*", help="fnmatch pattern over file names")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.add_argument("--out", default=FIXTURES)
    parser.add_argument("--add-float64", action="store_true", help="add f64/ companions to every fixture, then stop")
    opts = parser.parse_args()
    sys.path.insert(0, HERE)
    os.chdir(tempfile.mkdtemp(prefix="sbi-parity-fixtures-"))  # sbi writes ./sbi-logs
    import sbi_parity

    sbi_parity._import_reference()
    if opts.add_float64:
        add_float64(opts.out, opts.only)
        return
    versions = sbi_parity.versions()
    versions.pop("sbi_path", None)
    for name, job in jobs():
        path = os.path.join(opts.out, name)
        if not fnmatch.fnmatch(name, opts.only) or (os.path.exists(path) and not opts.force):
            continue
        arrays, info = make(*job)
        meta = dict(info, versions=versions, sbi_version=versions["sbi"], torch_version=versions["torch"],
                    generator="python/make_parity_fixtures.py")
        arrays["meta_json"] = np.array(json.dumps(meta, sort_keys=True))
        import sbi_parity_float64 as f64

        arrays.update(f64.companions(arrays, _direct_weights(name, opts.out)))
        np.savez_compressed(path, **arrays)
        print(f"{name}: {os.path.getsize(path):,} bytes, {len(arrays)} arrays", flush=True)


if __name__ == "__main__":
    main()
