"""Statistical parity references: sbi trained from scratch, analytic posteriors, and sbi's own C2ST.

These are slow (full training until sbi's early stopping) and only run live; the C# side trains Sbi.Net on
the very simulations returned here and compares posterior samples with sbi's C2ST.
"""

import contextlib

import numpy as np
import torch
from scipy.stats import truncnorm
from torch.utils.data.sampler import SubsetRandomSampler

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

    def train_and_sample(train_seed):
        torch.manual_seed(train_seed)
        trainer = NPE_B(prior=prior, show_progress_bars=False)
        net = trainer.append_simulations(theta, x, proposal=prior).train()
        samples = trainer.build_posterior(net).sample((n_samples,), x=x_o, show_progress_bars=False)
        return samples, [int(e) for e in trainer.summary["epochs_trained"]]

    samples, epochs = train_and_sample(seed + 100)
    # A second sbi training on the same simulations: how far sbi lands from itself (the C2ST baseline).
    replicate, epochs_replicate = train_and_sample(seed + 200)
    post_var = 1.0 / (1.0 + 1.0 / noise_var)
    post_mean = post_var * (x_o[0] - shift) / noise_var
    torch.manual_seed(seed + 1)
    analytic = post_mean + post_var ** 0.5 * torch.randn(n_samples, d)
    arrays = {"theta": np32(theta), "x": np32(x), "x_o": np32(x_o), "samples": np32(samples),
              "samples_replicate": np32(replicate), "analytic_samples": np32(analytic),
              "analytic_mean": np.full(d, float(post_mean[0])), "analytic_var": np.full(d, post_var)}
    info = {"case": "gaussian_linear", "D": d, "n": n, "seed": seed, "epochs_trained": epochs,
            "epochs_trained_replicate": epochs_replicate,
            "c2st_vs_analytic": c2st_case(samples.numpy(), analytic.numpy())[1]["c2st"],
            "c2st_vs_replicate": c2st_case(samples.numpy(), replicate.numpy())[1]["c2st"]}
    return arrays, info


@contextlib.contextmanager
def record_training(inference):
    """Records what an sbi trainer's training depends on besides the simulations, without changing it.

    * ``init``: the state_dict of the network right after ``_build_neural_net`` built it (sbi builds the net once,
      in round 0, after the train/validation split and before the first optimiser step, and trains it on later).
    * ``orders``: every list of dataset indices a ``SubsetRandomSampler`` yielded, in call order (sbi 0.27's
      ``get_dataloaders`` draws both the training and the validation loader's order through one per epoch).

    The sampler's order is materialised from the very same ``torch.randperm`` call, so sbi's random stream and
    results are those of an unrecorded run.
    """
    record = {"init": None, "orders": []}
    build = inference._build_neural_net

    def capture(theta, x):
        net = build(theta, x)
        if record["init"] is None:
            record["init"] = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
        return net

    original_iter = SubsetRandomSampler.__iter__

    def logged_iter(self):
        order = [int(i) for i in original_iter(self)]
        record["orders"].append(order)
        return iter(order)

    inference._build_neural_net = capture
    SubsetRandomSampler.__iter__ = logged_iter
    try:
        yield record
    finally:
        SubsetRandomSampler.__iter__ = original_iter
        inference._build_neural_net = build


def _split_orders(orders, train_indices, val_indices, epochs):
    """The recorded orders of one round as (epochs, n_train) and (epochs, n_val) arrays, checked against the split."""
    train_set, val_set = set(train_indices), set(val_indices)
    train, val = [], []
    for order in orders:
        if set(order) == train_set and len(order) == len(train_set):
            train.append(order)
        elif set(order) == val_set and len(order) == len(val_set):
            val.append(order)
        else:
            raise RuntimeError("a SubsetRandomSampler order is neither the training nor the validation set of this round")
    if len(train) != epochs or len(val) != epochs:
        raise RuntimeError(f"expected {epochs} training and validation orders, recorded {len(train)} and {len(val)}")
    return (np.asarray(train, dtype=np.int64).reshape(epochs, len(train_set)),
            np.asarray(val, dtype=np.int64).reshape(epochs, len(val_set)))


def seed_example_case(seed: int = 1, rounds: int = 5, per_round: int = 100, n_samples: int = 10000):
    """The example of NPE_B's docstring (REFERENCE.md case C), plus its analytic truncated-normal posterior.

    A replicate run starts from the same x_o and round-0 simulations with another training seed: the C2ST
    between the two sbi runs is the spread sbi itself shows at this budget of 500 simulations.

    The first run is also recorded for the lockstep case (Sbi.Net trained on the same simulations from the same
    initial weights with the same split and batch orders): per round θ and x (``round{r}/theta``, ``round{r}/x``),
    the split (``round{r}/train_indices``, ``round{r}/val_indices``), the dataset indices of every epoch
    (``round{r}/train_orders`` (epochs, n_train), ``round{r}/val_orders`` (epochs, n_val)), the freshly built
    network's state_dict (``init/sd/<key>``), per-epoch training and validation losses and the leakage factors
    sbi computed for the proposals. Recording does not change the run (see ``record_training``).
    """
    torch.manual_seed(seed)
    prior = BoxUniform(low=torch.zeros(3), high=torch.ones(3))
    x_o = torch.randn(1, 3)

    def simulator(theta):
        return theta + 0.1 * torch.randn_like(theta)

    def run(theta0=None, lockstep=None):
        inference = NPE_B(prior=prior, show_progress_bars=False)
        recording = record_training(inference) if lockstep is not None else contextlib.nullcontext()
        proposal, first, proposals = prior, {}, []
        with recording as record:
            for r in range(rounds):
                if r == 0 and theta0 is not None:
                    theta, x = theta0
                else:
                    theta = proposal.sample((per_round,)) if r == 0 else proposal.sample((per_round,), show_progress_bars=False)
                    x = simulator(theta)
                if r == 0:
                    first = (theta, x)
                n_orders = len(record["orders"]) if record is not None else 0
                de = inference.append_simulations(theta, x, proposal=proposal).train()
                if lockstep is not None:
                    epochs_r = int(inference.summary["epochs_trained"][-1])
                    train_idx = [int(i) for i in inference.train_indices]
                    val_idx = [int(i) for i in inference.val_indices]
                    tr, va = _split_orders(record["orders"][n_orders:], train_idx, val_idx, epochs_r)
                    lockstep.update({f"round{r}/theta": np32(theta), f"round{r}/x": np32(x),
                                     f"round{r}/train_indices": np.asarray(train_idx, np.int64),
                                     f"round{r}/val_indices": np.asarray(val_idx, np.int64),
                                     f"round{r}/train_orders": tr, f"round{r}/val_orders": va})
                posterior = inference.build_posterior(de)
                proposal = posterior.set_default_x(x_o)
                proposals.append(proposal)
            samples = posterior.sample((n_samples,), x=x_o, show_progress_bars=False)
        if lockstep is not None:
            lockstep.update({"init/sd/" + k: v.numpy().copy() for k, v in record["init"].items()})
            lockstep["training_loss"] = np.asarray(inference.summary["training_loss"], np.float64)
            lockstep["validation_loss"] = np.asarray(inference.summary["validation_loss"], np.float64)
            # Each proposal's leakage factor as sbi computed it during the next round's loss (memoised, not redrawn).
            lockstep["proposal_leakage"] = np.asarray(
                [float(p._leakage_density_correction_factor) if p._leakage_density_correction_factor is not None else np.nan
                 for p in proposals[:-1]], np.float64)
        return samples, first, posterior, [int(e) for e in inference.summary["epochs_trained"]]

    lockstep = {}
    samples, (theta0, x0), posterior, epochs = run(lockstep=lockstep)
    torch.manual_seed(seed + 100)
    replicate, _, _, epochs_replicate = run((theta0, x0))
    xo = x_o[0].double().numpy()
    lo, hi = (0.0 - xo) / 0.1, (1.0 - xo) / 0.1
    analytic = truncnorm.rvs(lo, hi, loc=xo, scale=0.1, size=(n_samples, 3), random_state=np.random.default_rng(seed))
    arrays = {"theta0": np32(theta0), "x0": np32(x0), "x_o": np32(x_o), "samples": np32(samples),
              "samples_replicate": np32(replicate), "analytic_samples": analytic.astype(np.float32), **lockstep}
    info = {"case": "seed_example", "seed": seed, "epochs_trained": epochs, "epochs_trained_replicate": epochs_replicate,
            "leakage_acceptance": float(posterior.leakage_correction(x_o)),
            "c2st_vs_analytic": c2st_case(samples.numpy(), analytic)[1]["c2st"],
            "c2st_vs_replicate": c2st_case(samples.numpy(), replicate.numpy())[1]["c2st"]}
    return arrays, info
