"""Turns a pickled sbi posterior (DirectPosterior) or density estimator into files Sbi.Net reads.

    python3 export_sbi_posterior.py posterior.pkl out         # writes out.pt and out.json

out.pt is torch.save(estimator.state_dict()) with sbi's key names (Sbi.Net: SbiStateDict.Load, architecture inferred
from the shapes); out.json holds the estimator kind, D, C, z-score modes and the prior (BoxUniform low/high or
MultivariateNormal loc/covariance) where the pickle has one. Needs sbi importable (python/setup_sbi_reference.sh).
"""
import json
import pickle
import sys

import torch


def kind_of(sd):
    keys = list(sd)
    if any(".autoregressive_net." in k for k in keys):
        return "maf"
    if any(".transform_net." in k for k in keys):
        return "nsf"
    if "net._logits_layer.weight" in sd:
        return "mdn"
    if "net._distribution._made.initial_layer.weight" in sd:
        return "made"
    raise SystemExit(f"unknown estimator: first key {keys[0] if keys else None}")


def prior_json(prior):
    if prior is None:
        return None
    base = getattr(prior, "base_dist", prior)
    if hasattr(base, "low") and hasattr(base, "high"):
        return {"kind": "box_uniform", "low": base.low.flatten().tolist(), "high": base.high.flatten().tolist()}
    if hasattr(prior, "covariance_matrix"):
        return {"kind": "multivariate_normal", "loc": prior.loc.tolist(), "covariance_matrix": prior.covariance_matrix.tolist()}
    return {"kind": type(prior).__name__, "note": "not representable; pass the prior in .NET"}


def main():
    src, out = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        obj = pickle.load(f)
    est = getattr(obj, "posterior_estimator", obj)
    prior = getattr(obj, "prior", None)
    sd = est.state_dict()
    torch.save(sd, out + ".pt")
    kind = kind_of(sd)
    meta = {
        "format": "sbi-state-dict", "estimator": kind,
        "D": int(est.input_shape.numel()), "C": int(torch.Size(est.condition_shape).numel()),
        "z_score_theta": "independent" if any(k.endswith("_shift") for k in sd) else "none",
        "z_score_x": "independent" if any(k.endswith("._mean") for k in sd) else "none",
        "prior": prior_json(prior),
        "default_x": obj.default_x.flatten().tolist() if getattr(obj, "default_x", None) is not None else None,
        "sbi_version": __import__("sbi").__version__, "torch_version": torch.__version__,
    }
    with open(out + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    print(f"wrote {out}.pt ({len(sd)} tensors) and {out}.json ({kind})")


if __name__ == "__main__":
    main()
