#!/usr/bin/python3
"""Writes the small numpy fixture files used by tests/Sbi.Numpy.Tests (numpy only, no torch).

Run from the repository root with Debian's python (it has numpy):
    /usr/bin/python3 python/make_compat_fixtures.py
Outputs go to tests/Sbi.Numpy.Tests/data/npy/. Values are exact so tests can compare bit for bit.
"""
import os
import pickle
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "Sbi.Numpy.Tests", "data", "npy")
os.makedirs(OUT, exist_ok=True)


def p(name):
    return os.path.join(OUT, name)


# --- plain arrays, one per supported dtype -------------------------------------------------
np.save(p("f4_2x3.npy"), (np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1.0).astype(np.float32))
np.save(p("f8_4.npy"), np.array([0.1, -2.5, 1e300, np.pi], dtype=np.float64))
np.save(p("f8_special.npy"), np.array([np.nan, np.inf, -np.inf, -0.0], dtype=np.float64))
np.save(p("i8_2x2.npy"), np.array([[-(2**63), 0], [42, 2**63 - 1]], dtype=np.int64))
np.save(p("i4_3.npy"), np.array([-1, 0, 2**31 - 1], dtype=np.int32))
np.save(p("b1_3.npy"), np.array([True, False, True]))
np.save(p("f4_scalar.npy"), np.float32(3.5))
np.save(p("f4_empty_0x3.npy"), np.zeros((0, 3), dtype=np.float32))
np.save(p("f4_3d.npy"), np.arange(24, dtype=np.float32).reshape(2, 3, 4))
# 0-d unicode with a non-BMP character (needs a surrogate pair in .NET) and JSON-ish content.
np.save(p("u_scalar.npy"), np.array('h\u00e9llo \u2713 \U0001D703 {"a": 1}'))
np.save(p("u_1d.npy"), np.array(["a", "bcd", ""]))
# Fortran order (sbi's parity fixtures contain such arrays); the reader reorders to C order.
np.save(p("f4_fortran_2x3.npy"), np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save(p("i8_fortran_2x3x4.npy"), np.asfortranarray(np.arange(24, dtype=np.int64).reshape(2, 3, 4)))
# format version 2.0 header (4-byte header length)
with open(p("f4_v2.npy"), "wb") as f:
    np.lib.format.write_array(f, np.array([1.5, 2.5], dtype=np.float32), version=(2, 0))

# --- arrays the reader must refuse with a clear message --------------------------------------
np.save(p("bad_object.npy"), np.array([1, "a"], dtype=object), allow_pickle=True)
np.save(p("bad_bigendian.npy"), np.array([1.0, 2.0], dtype=">f4"))
np.save(p("bad_uint8.npy"), np.array([1, 2], dtype=np.uint8))
np.save(p("bad_float16.npy"), np.array([1, 2], dtype=np.float16))
np.save(p("bad_structured.npy"), np.zeros(2, dtype=[("a", "<f4"), ("b", "<i8")]))

# --- archives --------------------------------------------------------------------------------
entries = {
    "theta": np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32),
    "x": np.array([[0.25, -0.5, 1e-3], [7.0, 8.0, 9.0], [-1.0, -2.0, -3.0]], dtype=np.float64),
    "sd/net._transform._transforms.1.autoregressive_net.initial_layer.degrees": np.array([1, 2, 3, 1], dtype=np.int64),
    "config_json": np.array('{"D": 2, "name": "maf"}'),
    "flag": np.array(True),
}
np.savez(p("mixed.npz"), **entries)
np.savez_compressed(p("mixed_compressed.npz"), **entries)

# --- simulation data sets ----------------------------------------------------------------------
theta = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0], [8.0, 9.0]], dtype=np.float32)
x = np.array([[1.0, 1.5, 2.0], [np.nan, 0.0, 0.0], [3.0, 3.5, 4.0], [5.0, np.inf, 6.0], [7.0, 7.5, 8.0]],
             dtype=np.float64)
np.save(p("sim_theta.npy"), theta)
np.save(p("sim_x.npy"), x)
np.savez(p("sim.npz"), theta=theta, x=x)
np.savez(p("sim_names.npz"), params=theta, obs=x)
np.savez(p("sim_rows_mismatch.npz"), theta=theta[:4], x=x)
np.savez(p("sim_1d.npz"), theta=theta[:, 0], x=x)
np.savez(p("sim_int.npz"), theta=theta.astype(np.int64), x=x)
np.savez(p("sim_missing_x.npz"), theta=theta)

# --- python pickles (numpy only), for the pythonnet loader -------------------------------------
with open(p("sim_tuple.pkl"), "wb") as f:
    pickle.dump((theta, x), f, protocol=4)
with open(p("sim_dict.pkl"), "wb") as f:
    pickle.dump({"theta": theta, "x": x}, f, protocol=4)
with open(p("sim_array.pkl"), "wb") as f:
    pickle.dump(theta, f, protocol=2)
with open(p("sim_bad.pkl"), "wb") as f:
    pickle.dump({"not": "arrays"}, f)

with open(p("sim_nested.pkl"), "wb") as f:
    pickle.dump({"data": [theta, x], "meta": {"n": 5, "scale": np.float64(0.5), "ok": True, "none": None,
                                               "blob": b"\x00\x01"}}, f, protocol=2)
with open(p("sim_fortran.pkl"), "wb") as f:
    pickle.dump((np.asfortranarray(theta), x[:, ::2]), f, protocol=5)  # non-C-contiguous arrays
with open(p("object_array.pkl"), "wb") as f:
    pickle.dump(np.array([1, "a"], dtype=object), f)


class _Evil:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned > /tmp/sbi-compat-evil-pickle-ran",))


with open(p("evil.pkl"), "wb") as f:
    pickle.dump(_Evil(), f)
# a pickle of a class the loader does not know (collections.Counter)
import collections
with open(p("counter.pkl"), "wb") as f:
    pickle.dump(collections.Counter("abca"), f)

print("wrote", len(os.listdir(OUT)), "files to", os.path.normpath(OUT))
