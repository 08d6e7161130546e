#!/usr/bin/python3
"""Writes the small torch.save fixture files used by tests/Sbi.Numpy.Tests.

Needs Debian's python3-torch (1.13): `apt-get install -y python3-torch`. Run from the repository root:
    /usr/bin/python3 python/make_torch_fixtures.py
Outputs go to tests/Sbi.Numpy.Tests/data/pt/. Values are exact so tests compare bit for bit.
Never load this torch into a process with TorchSharp: the two libtorch builds crash together.
"""
import collections
import os
import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "Sbi.Numpy.Tests", "data", "pt")
os.makedirs(OUT, exist_ok=True)


def p(name):
    return os.path.join(OUT, name)


theta = torch.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0], [8.0, 9.0]], dtype=torch.float32)
x = torch.tensor([[1.0, 1.5, 2.0], [float("nan"), 0.0, 0.0], [3.0, 3.5, 4.0], [5.0, float("inf"), 6.0],
                  [7.0, 7.5, 8.0]], dtype=torch.float64)

# single tensors of each dtype
torch.save(torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5 - 1.0, p("f32_2x3.pt"))
torch.save(torch.tensor([0.1, -2.5, 1e300, 3.141592653589793], dtype=torch.float64), p("f64_4.pt"))
torch.save(torch.tensor([[-(2**63), 0], [42, 2**63 - 1]], dtype=torch.int64), p("i64_2x2.pt"))
torch.save(torch.tensor([-1, 0, 2**31 - 1], dtype=torch.int32), p("i32_3.pt"))
torch.save(torch.tensor([True, False, True]), p("bool_3.pt"))
torch.save(torch.tensor(3.5), p("f32_scalar.pt"))
torch.save(torch.zeros(0, 3), p("f32_empty_0x3.pt"))
# views: a transposed tensor and a slice with an offset into a larger shared storage
base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
torch.save(base.t(), p("f32_transposed_4x3.pt"))
torch.save((base[1:, 1:3], base[0]), p("views_tuple.pt"))
# requires_grad tensor and an nn.Parameter
torch.save(torch.nn.Parameter(torch.tensor([1.0, 2.0])), p("parameter.pt"))

# containers
torch.save((theta, x), p("sim_tuple.pt"))
torch.save([theta, x], p("sim_list.pt"))
torch.save({"theta": theta, "x": x}, p("sim_dict.pt"))
torch.save(collections.OrderedDict([("x", x), ("theta", theta)]), p("sim_ordereddict.pt"))
torch.save((theta[:4], x), p("sim_rows_mismatch.pt"))
torch.save((theta, x, theta), p("sim_triple.pt"))
torch.save({"theta": theta, "x": x, "meta": {"n": 5, "name": "gauss", "scale": 0.5, "ok": True, "none": None}},
           p("nested.pt"))
torch.manual_seed(0)
sd = torch.nn.Linear(3, 2, dtype=torch.float64).state_dict()
torch.save(sd, p("linear_state_dict.pt"))
# the same values as .npz, so the test can compare the two readers
np.savez(p("linear_state_dict.npz"), **{k: v.numpy() for k, v in sd.items()})

# refused: legacy (non-zip) format, and a pickled Python class
torch.save(theta, p("legacy_format.pt"), _use_new_zipfile_serialization=False)
torch.save({"theta": theta, "odd": collections.Counter("abca")}, p("unsupported_object.pt"))

# a plain Python pickle of a torch tensor: the pythonnet pickle loader must refuse it (not import torch)
import pickle
with open(p("torch_tensor.pkl"), "wb") as f:
    pickle.dump(theta, f)

print("wrote", len(os.listdir(OUT)), "files to", os.path.normpath(OUT))
