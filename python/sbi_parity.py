"""Request handler of the Sbi.Net parity host (tests/parity/PythonHost imports this module through pythonnet).

Protocol (one JSON object per line, see tests/parity/PythonHost/Program.cs):
  request  {"case": str, "args": {...}, "inputs": {name: path.npy}, "out_dir": folder}
  reply    {"ok": true, "outputs": {name: path.npy}, "info": {...}, "versions": {...}}
           {"ok": false, "error": traceback, "versions": {...}}
Arrays travel as .npy files (numpy reads and writes them here); names may contain '/' and '.', so files
are numbered and the reply maps names to paths.
"""

import json
import os
import platform
import sys
import time
import traceback

import numpy as np


def redirect_stdout() -> int:
    """Sends everything that writes to fd 1 (print, tqdm, warnings, C code) to stderr.

    Returns a private duplicate of the original stdout for the protocol replies, so stray output of sbi or
    torch can never corrupt a reply line.
    """
    sys.stdout.flush()
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return fd


def _import_reference():
    # Imported lazily so that a missing sbi shows up as an error reply with the traceback, not a dead host.
    import torch

    torch.set_num_threads(int(os.environ.get("SBI_PARITY_TORCH_THREADS", "1")))
    import sbi_parity_cases
    import sbi_parity_stats

    return sbi_parity_cases, sbi_parity_stats


def versions() -> dict:
    out = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("torch", "sbi", "scipy", "sklearn", "zuko"):
        try:
            out[name] = __import__(name).__version__
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            out[name] = f"unavailable ({type(e).__name__}: {e})"
    try:
        from nflows.version import VERSION

        out["nflows"] = VERSION
    except Exception as e:  # noqa: BLE001
        out["nflows"] = f"unavailable ({type(e).__name__})"
    try:
        import sbi

        stamp = os.path.join(os.path.dirname(os.path.dirname(sbi.__file__)), "GIT_COMMIT")
        if os.path.exists(stamp):
            out["sbi_commit"] = open(stamp).read().strip()
        out["sbi_path"] = os.path.dirname(sbi.__file__)
    except Exception:  # noqa: BLE001
        pass
    return out


def _weights(inputs: dict) -> dict:
    return {k: v for k, v in inputs.items() if k.startswith("sd/")}


def dispatch(case: str, args: dict, inputs: dict):
    arrays, info = _dispatch(case, args, inputs)
    if case in ("estimator", "loss", "direct"):
        import sbi_parity_float64

        # The float64 companions every float32 output is checked against (same recipe as the fixtures).
        arrays.update(sbi_parity_float64.companions(arrays, _weights(inputs) if case == "direct" else None))
    return arrays, info


def _dispatch(case: str, args: dict, inputs: dict):
    if case == "versions":
        _import_reference()
        return {}, {}
    if case == "debug_sleep":  # harness self-test: a request that outlives its timeout
        time.sleep(float(args.get("seconds", 60)))
        return {}, {}
    if case == "debug_exit":  # harness self-test: the host dies mid-request
        sys.stderr.write("debug_exit: leaving the process on request\n")
        sys.stderr.flush()
        os._exit(int(args.get("code", 3)))
    cases, stats = _import_reference()
    if case == "estimator":
        return cases.estimator_case(args["estimator"], int(args["D"]), **_ints(args, "seed", "epochs", "n_train"))
    if case == "loss":
        return cases.loss_case(args["estimator"], int(args["D"]), **_ints(args, "seed", "n_per_round", "epochs"))
    if case == "direct":
        return cases.direct_case(args["estimator"], int(args["D"]), _weights(inputs), inputs["x_o"],
                                 **_ints(args, "seed", "n_samples"))
    if case == "weights_out":
        return cases.weights_out_case(args["estimator"], args["state_dict"], inputs["theta"], inputs["x"])
    if case == "c2st":
        return stats.c2st_case(inputs["X"], inputs["Y"], **_ints(args, "seed"))
    if case == "gaussian_linear":
        return stats.gaussian_linear_case(**_ints(args, "D", "n", "seed"))
    if case == "seed_example":
        return stats.seed_example_case(**_ints(args, "seed", "rounds", "per_round", "n_samples"))
    raise ValueError(f"unknown case {case!r}")


def _ints(args: dict, *names) -> dict:
    return {("d" if n == "D" else n): int(args[n]) for n in names if n in args}


def _save(arrays: dict, out_dir: str) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for i, (name, value) in enumerate(arrays.items()):
        path = os.path.join(out_dir, f"out{i:04d}.npy")
        np.save(path, np.asarray(value), allow_pickle=False)
        paths[name] = path
    return paths


def handle(line: str) -> str:
    """One request line in, one reply line out; never raises."""
    try:
        request = json.loads(line)
        inputs = {k: np.load(p, allow_pickle=False) for k, p in (request.get("inputs") or {}).items()}
        arrays, info = dispatch(request["case"], request.get("args") or {}, inputs)
        outputs = _save(arrays, request["out_dir"]) if arrays else {}
        reply = {"ok": True, "outputs": outputs, "info": info, "versions": versions()}
    except BaseException:  # noqa: BLE001 - the traceback is the reply
        reply = {"ok": False, "error": traceback.format_exc(), "versions": versions()}
    finally:
        sys.stderr.flush()
    return json.dumps(reply)
