"""Shared pieces of the sbi side of the Sbi.Net parity harness.

The problem set-up (simulator matrix, prior, observation) and the way estimators are built are the
ones of tests/parity/fixtures/REFERENCE.md, so that live runs and recorded fixtures describe the same
thing. Everything here calls sbi itself; nothing re-implements sbi.
"""

import dataclasses
import json

import numpy as np
import torch

from sbi.neural_nets import MADEConfig, MAFConfig, MDNConfig, NSFConfig
from sbi.utils import BoxUniform

CONFIGS = {"maf": MAFConfig, "nsf": NSFConfig, "mdn": MDNConfig, "made": MADEConfig}
C = 3  # x has three entries in every parity problem


def simulator_matrix(d: int) -> torch.Tensor:
    """A (3, D); drawn from its own seed so that it depends only on D (as in the committed fixtures)."""
    torch.manual_seed(123)
    return torch.randn(C, d)


def simulate(theta: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """x = A θ + 0.3 ε, one noise block per call."""
    return theta @ a.T + 0.3 * torch.randn(theta.shape[0], C)


def box_prior(d: int, half_width: float = 2.0) -> BoxUniform:
    return BoxUniform(low=-half_width * torch.ones(d), high=half_width * torch.ones(d))


def config(estimator: str):
    if estimator not in CONFIGS:
        raise ValueError(f"estimator must be one of {sorted(CONFIGS)}; got {estimator!r}")
    return CONFIGS[estimator]()


def np32(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def state_dict_arrays(module: torch.nn.Module, prefix: str = "sd/") -> dict:
    """Every state-dict entry as `<prefix><key>`, in state_dict() order (dtypes kept: int64 buffers stay int64)."""
    return {prefix + k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def build_estimator(estimator: str, d: int):
    """A fresh sbi estimator of the default configuration; z-score buffers are placeholders until loaded."""
    torch.manual_seed(0)  # only the throw-away initial weights depend on it
    return config(estimator).build(torch.randn(50, d), torch.randn(50, C))


def load_estimator(estimator: str, d: int, arrays: dict, prefix: str = "sd/"):
    """Rebuilds an sbi estimator from `<prefix><key>` arrays (strict: every key must be present)."""
    net = build_estimator(estimator, d)
    sd = {k[len(prefix):]: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items() if k.startswith(prefix)}
    net.load_state_dict(sd, strict=True)
    net.eval()
    return net


def config_json(estimator: str, net: torch.nn.Module, d: int) -> str:
    """The architecture description the C# side rebuilds an estimator from (same keys as the committed fixtures)."""
    cfg = config(estimator)
    fields = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if not f.name.startswith("_")}
    fields = {k: (v if isinstance(v, (int, float, str, bool, type(None), dict)) else type(v).__name__ if isinstance(v, torch.nn.Module) else str(v).replace("torch.", "")) for k, v in fields.items()}
    trainable = [k for k, p in net.named_parameters() if p.requires_grad]
    buffers = [k for k in net.state_dict() if k not in set(trainable)]
    out = {
        "estimator": estimator,
        "config_class": type(cfg).__name__,
        "D": d,
        "C": C,
        "hidden_features": fields.get("hidden_features", 50),
        "num_transforms": fields.get("num_transforms", 5),
        "num_blocks": 5 if estimator == "made" else fields.get("num_blocks", 2),
        "num_bins": fields.get("num_bins", 10),
        "tail_bound": fields.get("tail_bound", 3.0),
        "hidden_layers_spline_context": fields.get("hidden_layers_spline_context", 1),
        "num_components": fields.get("num_components", 10),
        "num_mixture_components": fields.get("num_mixture_components", 10),
        "z_score_theta": fields.get("z_score_input", "independent"),
        "z_score_x": fields.get("z_score_condition", "independent"),
        "embedding_net": "Identity",
        "fields": fields,
        "trainable_keys": trainable,
        "buffer_keys": buffers,
        "num_trainable_parameters": int(sum(net.state_dict()[k].numel() for k in trainable)),
    }
    return json.dumps(out, sort_keys=True)


def text(value) -> np.ndarray:
    """A 0-d unicode array (how the fixtures store JSON text)."""
    return np.array(value if isinstance(value, str) else json.dumps(value, sort_keys=True))


class CountingSampler:
    """Wraps an estimator's `sample` to count the rows sbi's rejection sampler proposes (for Monte-Carlo errors)."""

    def __init__(self, estimator):
        self.estimator, self.inner, self.proposed = estimator, estimator.sample, 0

    def __enter__(self):
        def sample(sample_shape, *args, **kwargs):
            out = self.inner(sample_shape, *args, **kwargs)
            self.proposed += int(np.prod(tuple(sample_shape)))
            return out

        # An instance attribute shadows the method for this object only; sbi's own code path runs unchanged.
        object.__setattr__(self.estimator, "sample", sample)
        return self

    def __exit__(self, *exc):
        object.__delattr__(self.estimator, "sample")
