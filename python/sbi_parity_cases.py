"""Reference computations for the Sbi.Net parity harness, each made by the real sbi.

Every function returns (arrays, info): `arrays` maps names to numpy arrays (state dicts as `sd/<key>`),
`info` is JSON-able. The same functions serve the live harness (python/sbi_parity.py) and the
recorded fixtures (python/make_parity_fixtures.py), so a live run and a fixture are the same recipe.
"""

import copy

import numpy as np
import torch
from torch.nn.utils import clip_grad_norm_
from torch.optim import Adam
from torch.utils.data import DataLoader, TensorDataset

from sbi.inference import NPE_B
from sbi.inference.posteriors import DirectPosterior
from sbi.inference.trainers._contracts import LossArgsNPE, StartIndexContext

from sbi_parity_common import (
    C, CountingSampler, box_prior, config, config_json, load_estimator, np32, simulate,
    simulator_matrix, state_dict_arrays, text,
)

FLOWS = ("maf", "nsf")  # estimators whose sampler is a flow inverse of standard-normal noise


def _trainer(estimator: str, prior):
    # tracker=None keeps sbi's default TensorBoard writer (in ./sbi-logs of the working directory).
    return NPE_B(prior=prior, density_estimator=config(estimator), show_progress_bars=False)


def estimator_case(estimator: str, d: int, seed: int = 11, epochs: int = 5, n_train: int = 2000,
                   n_eval: int = 1000, n_noise: int = 256):
    """Case A of REFERENCE.md: a briefly trained estimator, its log-densities and (flows) noise -> samples."""
    a, prior = simulator_matrix(d), box_prior(d)
    torch.manual_seed(seed)
    trainer = _trainer(estimator, prior)
    theta = prior.sample((n_train,))
    net = trainer.append_simulations(theta, simulate(theta, a), proposal=prior).train(max_num_epochs=epochs)
    net.eval()
    out = {"config_json": text(config_json(estimator, net, d)), "A": np32(a),
           "prior_low": np32(prior.base_dist.low), "prior_high": np32(prior.base_dist.high)}
    out.update(state_dict_arrays(net))
    torch.manual_seed(seed + 1)
    theta = prior.sample((n_eval,))
    x = simulate(theta, a)
    with torch.no_grad():
        out.update(theta=np32(theta), x=np32(x), log_prob=np32(net.log_prob(theta.unsqueeze(0), x)[0]))
    torch.manual_seed(seed + 2)
    x_cond = simulate(prior.sample((4,)), a)
    out["x_cond"] = np32(x_cond)
    if estimator in FLOWS:
        # nflows draws the base noise as one (B*S, D) block from the global generator, so reseeding and
        # drawing that block gives the very noise sbi's own sample() consumed (checked in REFERENCE.md).
        torch.manual_seed(seed + 3)
        noise = torch.randn(4 * n_noise, d).view(4, n_noise, d)
        torch.manual_seed(seed + 3)
        with torch.no_grad():
            samples = net.sample((n_noise,), x_cond).transpose(0, 1)
            out.update(noise=np32(noise), samples=np32(samples),
                       samples_log_prob=np32(net.log_prob(samples.transpose(0, 1), x_cond).transpose(0, 1)))
    info = {"case": "estimator", "estimator": estimator, "D": d, "seed": seed, "epochs": epochs,
            "train_summary": {k: list(map(float, v)) for k, v in trainer.summary.items()}}
    return out, info


def loss_case(estimator: str, d: int, seed: int = 7100, n_per_round: int = 300, epochs: int = 5,
              batch_seed: int = 7777, loss_seed: int = 7900, batch_size: int = 200, lr: float = 5e-4):
    """Case B of REFERENCE.md: two trained rounds, a round-2 batch, NPE-B loss, weights and one Adam step."""
    a, prior = simulator_matrix(d), box_prior(d)
    theta_o = torch.tensor([[0.5 if i % 2 == 0 else -0.5 for i in range(d)]])
    x_o = theta_o @ a.T
    torch.manual_seed(seed)
    trainer = _trainer(estimator, prior)
    counts = {}
    proposal = prior
    for r in range(3):
        theta = proposal.sample((n_per_round,)) if r == 0 else proposal.sample((n_per_round,), show_progress_bars=False)
        trainer.append_simulations(theta, simulate(theta, a), proposal=proposal)
        if r == 2:
            break
        # Round 1 training evaluates p1's leakage factor at its first loss call: count what it proposes.
        with CountingSampler(proposal.posterior_estimator) if r == 1 else _Null() as counter:
            trainer.train(max_num_epochs=epochs)
        if r == 1:
            counts["p1"] = counter.proposed
        proposal = trainer.build_posterior().set_default_x(x_o)
        if r == 0:
            p1 = proposal
    p2 = proposal
    trainer._get_start_index(StartIndexContext(discard_prior_samples=False, force_first_round_loss=False,
                                               resume_training=False))
    theta_all, x_all, masks_all = trainer.get_simulations(0)
    idx = torch.randperm(len(theta_all), generator=torch.Generator().manual_seed(batch_seed))[:batch_size]
    thb, xb, mb = theta_all[idx], x_all[idx], masks_all[idx]
    net = trainer._neural_net
    sd0 = copy.deepcopy(net.state_dict())
    torch.manual_seed(loss_seed)
    with CountingSampler(p2.posterior_estimator) as counter:
        p2.leakage_correction(x_o)  # sbi's own estimate, cached for every later p2.log_prob call
    counts["p2"] = counter.proposed

    def kernel(x):
        return torch.ones([len(x)])

    net.eval()
    with torch.no_grad():
        cols = [prior.log_prob(thb), p1.log_prob(thb), p2.log_prob(thb)]
        net_lp = net.log_prob(thb.unsqueeze(0), xb)[0]
        loss_per_row = trainer._loss(thb, xb, mb, p2, kernel, False)
        loss_round0 = trainer._loss(thb, xb, mb, p2, kernel, True).mean()
        # sbi's float32 formula, as inside NPE_B._log_prob_proposal_posterior (checked below).
        alpha = torch.tensor([n_per_round] * 3, dtype=torch.float32) / (3 * n_per_round)
        prop = torch.exp(torch.logsumexp(torch.log(alpha).repeat(len(thb), 1) + torch.stack(cols, 1), dim=1))
        w = torch.exp(cols[0]) / prop
        w = w / w.sum()
        assert torch.equal(-(w * net_lp), loss_per_row), "weights do not reproduce sbi's loss"

    loader = DataLoader(TensorDataset(thb, xb, mb), batch_size=batch_size, shuffle=False)
    out = {}

    def one_step(force_first, clip, prefix):
        net.load_state_dict(sd0)
        net.train()
        args = LossArgsNPE(proposal=p2, calibration_kernel=kernel, force_first_round_loss=force_first)
        net.zero_grad()
        trainer._get_losses(batch=[thb, xb, mb], loss_args=args).mean().backward()
        norm = clip_grad_norm_(net.parameters(), max_norm=float("inf"))  # only measures
        trainer.optimizer = Adam([p for p in net.parameters() if p.requires_grad], lr=lr)
        trainer._train_epoch(loader, clip, args)  # sbi's own step: zero_grad, loss, backward, clip, step
        out.update(state_dict_arrays(net, prefix))
        return float(norm)

    out["grad_norm_before_clip"] = np.float32(one_step(False, 5.0, "step/sd/"))
    out["grad_norm_before_clip_round0"] = np.float32(one_step(True, 0.1, "step_round0_clip/sd/"))
    net.load_state_dict(sd0)
    net.eval()
    out.update(state_dict_arrays(net))
    out.update({
        "config_json": text(config_json(estimator, net, d)), "A": np32(a),
        "prior_low": np32(prior.base_dist.low), "prior_high": np32(prior.base_dist.high),
        "theta_o": np32(theta_o), "x_o": np32(x_o),
        "round_counts": np.array([n_per_round] * 3, dtype=np.int64), "batch_indices": idx.numpy(),
        "batch_theta": np32(thb), "batch_x": np32(xb), "prior_log_prob": np32(cols[0]),
        "proposal_log_prob": np32(torch.stack(cols, 1)), "importance_weights": np32(w),
        "net_log_prob": np32(net_lp), "loss_per_row": np32(loss_per_row), "loss": np32(loss_per_row.mean()),
        "loss_round0": np32(loss_round0), "learning_rate": np.float64(lr), "clip_max_norm": np.float64(5.0),
        "clip_max_norm_round0_clip": np.float64(0.1),
    })
    for name, p in (("p1", p1), ("p2", p2)):
        acc = float(p._leakage_density_correction_factor)
        out[f"{name}_leakage_acceptance"] = np.float32(acc)
        out[f"{name}_leakage_num_proposed"] = np.int64(counts[name])
    info = {"case": "loss", "estimator": estimator, "D": d, "seed": seed, "batch_seed": batch_seed,
            "loss_seed": loss_seed, "epochs": epochs, "n_per_round": n_per_round,
            "train_summary": {k: list(map(float, v)) for k, v in trainer.summary.items()}}
    return out, info


class _Null:
    proposed = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def direct_case(estimator: str, d: int, weights: dict, x_o: np.ndarray, seed: int = 2024,
                n_samples: int = 20000, n_eval: int = 500):
    """DirectPosterior of given weights at x_o: rejection-sample moments, leakage factor, normalised log_prob."""
    prior = box_prior(d)
    net = load_estimator(estimator, d, weights)
    post = DirectPosterior(net, prior).set_default_x(torch.from_numpy(x_o))
    torch.manual_seed(seed)
    with CountingSampler(net) as counter:
        acc = float(post.leakage_correction(post.default_x))
    samples = post.sample((n_samples,), show_progress_bars=False).double()
    mean, var = samples.mean(0), samples.var(0)
    m4 = ((samples - mean) ** 4).mean(0)
    # Evaluation points: sbi samples (inside) plus a few rows outside the box (must be -inf on both sides).
    theta = torch.cat([samples[:n_eval].float(), 2.5 * torch.ones(3, d), -2.5 * torch.ones(3, d)])
    with torch.no_grad():
        lp_norm = post.log_prob(theta)
        lp_raw = post.log_prob(theta, norm_posterior=False)
    out = {
        "x_o": np.asarray(x_o, dtype=np.float32), "prior_low": np32(prior.base_dist.low),
        "prior_high": np32(prior.base_dist.high),
        "leakage_acceptance": np.float64(acc), "leakage_num_proposed": np.int64(counter.proposed),
        "num_samples": np.int64(n_samples), "sample_mean": mean.numpy(), "sample_var": var.numpy(),
        "sample_m4": m4.numpy(), "eval_theta": np32(theta), "eval_log_prob": np32(lp_norm),
        "eval_log_prob_raw": np32(lp_raw), "config_json": text(config_json(estimator, net, d)),
    }
    return out, {"case": "direct", "estimator": estimator, "D": d, "seed": seed}


def weights_out_case(estimator: str, state_dict_path: str, theta: np.ndarray, x: np.ndarray):
    """Sbi.Net's saved state dict (SbiStateDict.Save) loaded into sbi's own estimator of the same kind, built with
    the default configuration on the given batch, with load_state_dict(strict=True); its log_prob on the batch in
    float32 and (f64/) float64."""
    theta_t, x_t = torch.from_numpy(np.ascontiguousarray(theta)), torch.from_numpy(np.ascontiguousarray(x))
    net = config(estimator).build(theta_t, x_t)
    net.load_state_dict(torch.load(state_dict_path), strict=True)
    net.eval()
    net64 = copy.deepcopy(net).double()
    with torch.no_grad():
        lp = net.log_prob(theta_t.unsqueeze(0), x_t)[0]
        lp64 = net64.log_prob(theta_t.double().unsqueeze(0), x_t.double())[0]
    out = {"theta": np32(theta_t), "x": np32(x_t), "log_prob": np32(lp), "f64/log_prob": lp64.numpy().copy()}
    return out, {"case": "weights_out", "estimator": estimator, "state_dict": state_dict_path,
                 "keys_loaded": len(net.state_dict())}

