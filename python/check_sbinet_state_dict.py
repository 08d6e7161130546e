"""Loads a state dict written by Sbi.Net (SbiStateDict.Save) into sbi's own estimator and checks its log-densities.

    python3 check_sbinet_state_dict.py KIND STATE_DICT.pt THETA.npy X.npy EXPECTED_LOG_PROB.npy

Builds sbi's estimator of that kind with default settings from the (theta, x) batch (posterior_nn), loads the
state dict with strict=True and prints the largest |sbi log q − expected|; exit code 1 above 1e-5 (3e-5 for nsf).
Needs sbi importable (see python/setup_sbi_reference.sh).
"""
import sys

import numpy as np
import torch
from sbi.neural_nets import posterior_nn

kind, pt, theta_p, x_p, exp_p = sys.argv[1:6]
theta = torch.from_numpy(np.load(theta_p))
x = torch.from_numpy(np.load(x_p))
net = posterior_nn(model=kind)(theta, x)
net.load_state_dict(torch.load(pt), strict=True)
net.eval()
with torch.no_grad():
    lp = net.log_prob(theta.unsqueeze(0), x)[0].numpy()
err = float(np.abs(lp - np.load(exp_p)).max())
print(f"max abs diff {err:.3e}")
sys.exit(0 if err <= (3e-5 if kind == "nsf" else 1e-5) else 1)
