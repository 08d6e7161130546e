"""Python sbi's side of `sbi-net bench posteriors`: sbi's own posterior classes on the weights Sbi.Net trained.

    python3 python/bench_posteriors_sbi.py DIR

DIR is what `sbi-net bench posteriors --out DIR` wrote (settings.json, estimator.pt, estimator_config.json, theta.npy,
x.npy, x_o.npy; see src/Sbi.Bench/PosteriorBenchFolder.cs). The script builds sbi's estimator of the same kind on
DIR's simulations (sbi's default configuration, which the bench trains), loads Sbi.Net's state dict with
load_state_dict(strict=True), and for every method of settings.json builds the posterior with sbi's own
build_posterior (DirectPosterior, RejectionPosterior, ImportanceSamplingPosterior with "sir", MCMCPosterior,
VIPosterior), times `sample` for the same sample count with torch.set_num_threads(threads), and writes
DIR/sbi_<method>.npy and DIR/sbi_times.json. The "_fitted" methods build sbi's RejectionPosterior and
ImportanceSamplingPosterior directly over posterior_estimator_based_potential with settings.json's fitted Gaussian as
their proposal. The "vi_<method>" rows time VIPosterior.train (settings.json's iterations and particles, convergence
check and quality control off, as Sbi.Net) plus sampling, and report the training part and PSIS Pareto-k. hmc and nuts run as sbi's hmc_pyro and nuts_pyro, which need Pyro: where it is not installed
they are reported as skipped. Run with the reference sbi on PYTHONPATH and OpenBLAS first on LD_LIBRARY_PATH
(`sbi-net bench posteriors --sbi` does; see python/setup_sbi_reference.sh).
"""
import json
import os
import sys
import time


def _save_npy(path: str, array) -> None:
    """np.save through a temporary name and a rename, so the file is never half written."""
    import numpy as np

    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        np.save(f, array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _save_json(path: str, value) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1)
    os.replace(tmp, path)


# Sbi.Net's MCMC names and the sbi sampler each one is compared with (Sbi.Net runs hmc/nuts itself; sbi through Pyro).
SBI_METHOD = {"hmc": "hmc_pyro", "nuts": "nuts_pyro"}


def _missing_backend(sbi_method: str):
    """Why sbi cannot run `sbi_method` here, or None."""
    import importlib.util

    if sbi_method.endswith("_pyro") and importlib.util.find_spec("pyro") is None:
        return "pyro not installed"
    if sbi_method.endswith("_pymc") and importlib.util.find_spec("pymc") is None:
        return "pymc not installed"
    return None


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = sys.argv[1]
    with open(os.path.join(folder, "settings.json")) as f:
        settings = json.load(f)
    if settings.get("format") != "sbi-net-bench-posteriors" or settings.get("format_version") != 1:
        sys.exit(f"{folder}/settings.json is not a version-1 sbi-net bench folder")
    threads = int(settings["threads"])
    # Before torch loads: OpenBLAS keeps its own thread pool beside torch's intra-op threads.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))

    import numpy as np
    import torch
    from sbi.inference import NPE_B
    from sbi.inference.posteriors.posterior_parameters import (
        DirectPosteriorParameters,
        ImportanceSamplingPosteriorParameters,
        MCMCPosteriorParameters,
        RejectionPosteriorParameters,
        VIPosteriorParameters,
    )
    from sbi.inference.posteriors import ImportanceSamplingPosterior, RejectionPosterior
    from sbi.inference.potentials import posterior_estimator_based_potential
    from sbi.samplers.vi.vi_quality_control import get_quality_metric
    from sbi.neural_nets import MADEConfig, MAFConfig, MDNConfig, NSFConfig
    from torch.distributions import MultivariateNormal

    torch.set_num_threads(threads)
    with open(os.path.join(folder, "estimator_config.json")) as f:
        config = json.load(f)
    kind, d = config["estimator"], int(config["D"])
    configs = {"maf": MAFConfig, "nsf": NSFConfig, "mdn": MDNConfig, "made": MADEConfig}
    if kind not in configs:
        sys.exit(f"estimator {kind!r} has no sbi config here; expected one of {sorted(configs)}")
    theta = torch.from_numpy(np.load(os.path.join(folder, "theta.npy")))
    x = torch.from_numpy(np.load(os.path.join(folder, "x.npy")))
    x_o = torch.from_numpy(np.load(os.path.join(folder, "x_o.npy"))).reshape(1, -1)
    # sbi's default configuration, as the bench trains; strict loading fails on any architecture difference.
    net = configs[kind]().build(theta, x)
    net.load_state_dict(torch.load(os.path.join(folder, "estimator.pt")), strict=True)
    net.eval()
    prior = MultivariateNormal(torch.zeros(d), torch.eye(d))
    trainer = NPE_B(prior=prior, show_progress_bars=False)
    mcmc = settings["mcmc"]
    seed = int(settings["seed"])

    def parameters(method: str, sample_with: str, sbi_method: str):
        if sample_with == "direct":
            return DirectPosteriorParameters()
        if sample_with == "rejection":
            return RejectionPosteriorParameters()
        if sample_with == "vi":
            return VIPosteriorParameters(vi_method=settings["methods"][method]["vi_method"])
        if sample_with == "importance":
            return ImportanceSamplingPosteriorParameters(method=settings.get("importance_method", "sir"),
                                                         oversampling_factor=int(settings.get("importance_oversampling_factor", 32)))
        return MCMCPosteriorParameters(method=sbi_method, thin=int(mcmc["thin"]), warmup_steps=int(mcmc["warmup_steps"]),
                                       num_chains=int(mcmc["num_chains"]), init_strategy=mcmc["init_strategy"],
                                       num_workers=int(mcmc["num_workers"]))

    fitted = None
    if settings.get("fitted_proposal") is not None:
        fp = settings["fitted_proposal"]
        fitted = MultivariateNormal(torch.tensor(fp["mean"], dtype=torch.float32),
                                    torch.tensor(fp["covariance"], dtype=torch.float32).reshape(d, d))

    def build(sample_with: str, params, proposal: str = "prior"):
        if proposal == "fitted":
            # sbi's build_posterior always proposes from the prior; another proposal means building the class directly.
            potential_fn, theta_transform = posterior_estimator_based_potential(net, prior, x_o)
            if sample_with == "rejection":
                return RejectionPosterior(potential_fn, proposal=fitted, theta_transform=theta_transform).set_default_x(x_o)
            return ImportanceSamplingPosterior(potential_fn, proposal=fitted, theta_transform=theta_transform, method=params.method,
                                               oversampling_factor=params.oversampling_factor).set_default_x(x_o)
        posterior = trainer.build_posterior(density_estimator=net, prior=prior, sample_with=sample_with, posterior_parameters=params)
        return posterior.set_default_x(x_o)

    vi = settings.get("vi", {})

    # First-call costs outside every timing, as Sbi.Net's PosteriorBench.WarmUp: 1,000 direct samples and their densities.
    warm = build("direct", DirectPosteriorParameters())
    with torch.no_grad():
        warm.log_prob(warm.sample((1000,), show_progress_bars=False), norm_posterior=False)

    results = {}
    for method, entry in settings["methods"].items():
        sample_with, n = entry["sample_with"], int(entry["num_samples"])
        sbi_method = SBI_METHOD.get(method, method)
        out = {"sbi_method": sbi_method, "requested": n}
        results[method] = out
        missing = _missing_backend(sbi_method) if sample_with == "mcmc" else None
        if missing is not None:
            out["skipped"] = missing
            print(f"sbi {method}: skipped: {missing}", flush=True)
            continue
        torch.manual_seed(seed)
        try:
            posterior = build(sample_with, parameters(method, sample_with, sbi_method), entry.get("proposal", "prior"))
            clock = time.perf_counter()
            if sample_with == "vi":
                posterior.train(max_num_iters=int(vi["max_num_iters"]), n_particles=int(vi["n_particles"]),
                                warm_up_rounds=int(vi["warm_up_rounds"]), check_for_convergence=False, quality_control=False,
                                show_progress_bar=False)
                out["training_seconds"] = time.perf_counter() - clock
                samples = posterior.sample((n,), show_progress_bars=False)
            elif sample_with == "rejection":
                limit = float(settings["rejection_max_sampling_time"])
                try:
                    samples = posterior.sample((n,), max_sampling_time=limit, return_partial_on_timeout=True, show_progress_bars=False)
                except RuntimeError as e:
                    if "max_sampling_time" not in str(e):
                        raise
                    # Not one candidate accepted within the limit (sbi raises then even with return_partial_on_timeout).
                    samples = torch.empty(0, d)
                out["timed_out"] = samples.shape[0] < n
            else:
                samples = posterior.sample((n,), show_progress_bars=False)
            seconds = time.perf_counter() - clock
        except Exception as e:  # noqa: BLE001 - one method's failure is reported, the others still run
            out["skipped"] = f"error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            print(f"sbi {method}: {out['skipped']}", flush=True)
            continue
        if sample_with == "vi":
            # Outside the timing, as Sbi.Net: PSIS Pareto-k of p~/q (sbi's quality-control metric).
            # (VIPosterior.evaluate prints the metric and returns None, so the metric function it calls is called here.)
            out["pareto_k"] = float(get_quality_metric("psis")[0](posterior, N=50_000))
        samples = samples.detach().reshape(-1, d).to(torch.float32).numpy()
        _save_npy(os.path.join(folder, entry["sbi_samples_file"]), samples)
        out.update(seconds=seconds, drawn=int(samples.shape[0]), samples_per_second=samples.shape[0] / seconds if seconds > 0 else None)
        print(f"sbi {method}: {samples.shape[0]} samples in {seconds:.3f} s", flush=True)

    import sbi

    _save_json(os.path.join(folder, "sbi_times.json"), {
        "format": "sbi-bench-posteriors-times", "format_version": 1, "threads": threads, "methods": results,
        "versions": {"sbi": sbi.__version__, "torch": torch.__version__, "numpy": np.__version__},
    })


if __name__ == "__main__":
    main()
