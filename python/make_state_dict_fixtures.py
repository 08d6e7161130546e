"""Writes torch.save'd sbi state dicts for the weights-in tests (tests/Sbi.Net.Tests/data/sbi_{est}_D{d}.pt).

The weights are those sbi 0.27 trained for the parity fixtures (tests/parity/fixtures/{est}_D{d}.npz, `sd/<key>`),
saved exactly as a Python user would: torch.save(density_estimator.state_dict(), f). Needs numpy and torch only
(Debian: python3-torch). Run from the repository root: /usr/bin/python3 python/make_state_dict_fixtures.py
"""
import collections

import numpy as np
import torch

# made is covered through the .npz weights-transfer parity cases; its .pt (masks as float32) would double the size.
CASES = [("maf", 2), ("nsf", 1), ("mdn", 2)]

for est, d in CASES:
    z = np.load(f"tests/parity/fixtures/{est}_D{d}.npz")
    sd = collections.OrderedDict((k[3:], torch.from_numpy(z[k].copy())) for k in z.files if k.startswith("sd/"))
    out = f"tests/Sbi.Net.Tests/data/sbi_{est}_D{d}.pt"
    torch.save(sd, out)
    print(out, len(sd), "tensors")
