"""float64 companions of the parity cases' float32 outputs, computed by sbi itself in double precision.

Every float32 number a parity check compares (log-densities, flow samples, NPE-B weights and losses, gradients)
gets a companion under `f64/<name>`: the same sbi estimator with the same weights, converted with `.double()`,
evaluated on the same (float32-valued) inputs. The C# side evaluates its own estimator in float64 too, so that

* the maths is compared in float64 (two float64 evaluations of the same formulas agree to ~1e-14), and
* each float32 side is held to its own distance from float64, instead of one float32 rounding sequence being
  held to another (tests/Sbi.Testing/Tolerances.cs derives every bound from these distances).

The companions are a function of a bundle's own arrays (weights, inputs, recorded proposal columns), so they are
computed the same way for a committed fixture (python/make_parity_fixtures.py --add-float64) and for a live reply
(python/sbi_parity.py). Quantities assembled here rather than returned by one sbi call are marked as such.
"""

import json
import math

import numpy as np
import torch

from sbi_parity_common import load_estimator

PREFIX = "f64/"


def _config(arrays: dict) -> tuple:
    cfg = json.loads(str(arrays["config_json"]))
    return cfg["estimator"], int(cfg["D"])


def _d(a) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a)).double()


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _net64(arrays: dict, prefix: str = "sd/"):
    estimator, d = _config(arrays)
    return load_estimator(estimator, d, arrays, prefix).double()


def estimator_companions(arrays: dict) -> dict:
    """Case A: log_prob of (theta, x); for flows the inverse of the recorded noise and log_prob of the samples."""
    net = _net64(arrays)
    out = {}
    with torch.no_grad():
        out[PREFIX + "log_prob"] = _np(net.log_prob(_d(arrays["theta"]).unsqueeze(0), _d(arrays["x"]))[0])
        if "noise" in arrays:
            noise, x_cond = _d(arrays["noise"]), _d(arrays["x_cond"])
            b, s, d = noise.shape
            flow = net.net  # nflows Flow: the recipe of sbi_parity_cases.estimator_case, in float64
            context = flow._embedding_net(x_cond).repeat_interleave(s, dim=0)
            out[PREFIX + "samples"] = _np(flow._transform.inverse(noise.reshape(b * s, d), context)[0].view(b, s, d))
            # The density at sbi's float32 samples (identical points on both sides).
            samples = _d(arrays["samples"])
            out[PREFIX + "samples_log_prob"] = _np(net.log_prob(samples.transpose(0, 1), x_cond).transpose(0, 1))
        if "exact_mean" in arrays:
            mean, cov = mdn_exact_moments(net, _d(arrays["x_cond"]))
            out[PREFIX + "exact_mean"], out[PREFIX + "exact_cov"] = _np(mean), _np(cov)
    return out


def mdn_exact_moments(net, x_cond: torch.Tensor):
    """Mean and covariance of the Gaussian mixture sbi's MDN sampler draws from, in the estimator's dtype: weights
    softmax(logits), component covariances (A^T A)^-1 with A the precision factors of sbi's get_uncorrected_mog (the
    sampler uses A; `precisions` carries an extra 1e-4 on the diagonal that only log_prob sees), theta =
    z * _transform_scale + _transform_shift. Assembled here from sbi's mixture parameters (REFERENCE.md:
    `exact_mean`, `exact_cov`)."""
    mog = net.get_uncorrected_mog(x_cond)
    w = torch.softmax(mog.logits, -1)
    a = mog.precision_factors
    cov_k = torch.linalg.inv(a.transpose(-1, -2) @ a)
    mean = (w.unsqueeze(-1) * mog.means).sum(1)
    centred = mog.means - mean.unsqueeze(1)
    cov = (w[..., None, None] * (cov_k + centred.unsqueeze(-1) * centred.unsqueeze(-2))).sum(1)
    scale, shift = net._transform_scale, net._transform_shift
    return mean * scale + shift, cov * scale.unsqueeze(-1) * scale.unsqueeze(-2)


def _box_log_prob(theta: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """sbi's BoxUniform log_prob in float64: -sum(log(high - low)) on [low, high), -inf elsewhere."""
    inside = ((theta >= low) & (theta < high)).all(-1)
    lp = torch.full(inside.shape, -torch.log(high - low).sum().item(), dtype=torch.float64)
    return torch.where(inside, lp, torch.tensor(-math.inf, dtype=torch.float64))


def _proposal_columns(arrays: dict, theta: torch.Tensor) -> torch.Tensor:
    """The (N, rounds) proposal log-densities in float64. Column 0 is the prior (round 0 was drawn from it), always
    recomputed; the posterior columns are recomputed where the proposals' weights are stored (p1/, p2/: sbi's
    DirectPosterior.log_prob = estimator log_prob - log(leakage acceptance), -inf outside the prior's closed
    support), else the recorded float32 columns are taken as given inputs."""
    cols = _d(arrays["proposal_log_prob"])
    low, high = _d(arrays["prior_low"]), _d(arrays["prior_high"])
    out = [_box_log_prob(theta, low, high)]
    if not any(k.startswith("p1/sd/") for k in arrays):
        return torch.cat([out[0].unsqueeze(1), cols[:, 1:]], 1)
    x_o = _d(arrays["x_o"])
    in_support = ((theta >= low) & (theta <= high)).all(-1)
    for k in range(1, cols.shape[1]):
        net = _net64(arrays, f"p{k}/sd/")
        with torch.no_grad():
            lp = net.log_prob(theta.unsqueeze(1), x_o).squeeze(1) - math.log(float(arrays[f"p{k}_leakage_acceptance"]))
        out.append(torch.where(in_support, lp, torch.tensor(-math.inf, dtype=torch.float64)))
    return torch.stack(out, 1)


def importance_weights(cols: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """sbi's NPE_B._log_prob_proposal_posterior weights (sbi/inference/trainers/npe/npe_b.py), in the dtype of
    `cols`: prior / sum_k (n_k / n) q_k, normalised over the batch. Assembled here from the columns."""
    log_alpha = torch.log(counts.to(cols.dtype) / counts.sum()).repeat(cols.shape[0], 1)
    proposal = torch.exp(torch.logsumexp(log_alpha + cols, dim=1))
    w = torch.exp(cols[:, 0]) / proposal
    return w / w.sum()


def loss_companions(arrays: dict) -> dict:
    """Case B: network log q, importance weights, per-row and mean NPE-B loss, round-0 NLL, and the float64
    gradients (and their norms) of both losses with respect to every trainable parameter."""
    net = _net64(arrays)
    theta, x = _d(arrays["batch_theta"]), _d(arrays["batch_x"])
    counts = torch.from_numpy(np.asarray(arrays["round_counts"]))
    cols = _proposal_columns(arrays, theta)
    # The formula reproduces sbi's own float32 loss on the float32 inputs (sbi_parity_cases.loss_case asserts
    # the same for the live recipe); its float64 evaluation is then sbi's maths in double precision.
    w = importance_weights(cols, counts)
    out = {PREFIX + "proposal_log_prob": _np(cols), PREFIX + "importance_weights": _np(w)}
    with torch.no_grad():
        lq = net.log_prob(theta.unsqueeze(0), x)[0]
    out[PREFIX + "net_log_prob"] = _np(lq)
    out[PREFIX + "loss_per_row"] = _np(-(w * lq))
    out[PREFIX + "loss"] = np.float64(-(w * lq).mean().item())
    out[PREFIX + "loss_round0"] = np.float64(-lq.mean().item())
    net.train()
    for name, suffix, loss_of in (("grad", "", lambda q: -(w * q)), ("grad_round0", "_round0", lambda q: -q)):
        net.zero_grad()
        loss_of(net.log_prob(theta.unsqueeze(0), x)[0]).mean().backward()
        norm2 = 0.0
        for key, p in net.named_parameters():
            if p.requires_grad:
                g = p.grad if p.grad is not None else torch.zeros_like(p)
                out[f"{PREFIX}{name}/{key}"] = _np(g)
                norm2 += float((g * g).sum())
        out[f"{PREFIX}grad_norm_before_clip{suffix}"] = np.float64(math.sqrt(norm2))
    net.eval()
    return out


def direct_companions(arrays: dict, weights: dict) -> dict:
    """DirectPosterior case: raw (unnormalised, prior-masked) and normalised log_prob at eval_theta in float64,
    the normalisation using sbi's own (Monte-Carlo) acceptance as recorded."""
    merged = dict(weights)
    merged["config_json"] = arrays["config_json"]
    net = _net64(merged)
    theta, x_o = _d(arrays["eval_theta"]), _d(arrays["x_o"])
    low, high = _d(arrays["prior_low"]), _d(arrays["prior_high"])
    with torch.no_grad():
        lp = net.log_prob(theta.unsqueeze(1), x_o).squeeze(1)
    raw = torch.where(((theta >= low) & (theta <= high)).all(-1), lp, torch.tensor(-math.inf, dtype=torch.float64))
    return {PREFIX + "eval_log_prob_raw": _np(raw),
            PREFIX + "eval_log_prob": _np(raw - math.log(float(arrays["leakage_acceptance"])))}


def companions(arrays: dict, weights: dict = None) -> dict:
    """The float64 companions a bundle needs, chosen by its content (empty for statistical bundles)."""
    if "batch_theta" in arrays:
        return loss_companions(arrays)
    if "eval_theta" in arrays:
        return direct_companions(arrays, weights if weights is not None else arrays)
    if "log_prob" in arrays and "theta" in arrays:
        return estimator_companions(arrays)
    return {}
