#!/usr/bin/env python3
"""Writes the hostile (and a few valid edge-case) files of tests/Sbi.Numpy.Tests/data/hostile/.

Python 3 standard library only (no numpy, no torch): the .npy headers, the pickles, the zip archives and the
torch.save layout (<archive>/data.pkl, <archive>/data/<key>, <archive>/version) are written byte by byte, so every
lie (a size, a stride, a CRC, a declared length) is exactly the one named. Run from the repository root:

    python3 python/make_hostile_files.py

Deterministic: the same bytes on every run (fixed zip dates, seeded pseudo-random data). The expected errors are
asserted in tests/Sbi.Numpy.Tests/HostileFileTests.cs.
"""
import os
import random
import struct
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Sbi.Numpy.Tests", "data", "hostile")


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


# ----------------------------------------------------------------------------------------------- .npy

def npy(descr, shape, data, version=1, header_len=None, header=None):
    """An .npy file; header_len overrides the length field (a lie), header the dict text."""
    if header is None:
        shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
        header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    prefix = 6 + 2 + (2 if version == 1 else 4)
    total = prefix + len(header) + 1
    header = header + " " * ((total + 63) // 64 * 64 - total) + "\n"
    hb = header.encode("latin1")
    n = len(hb) if header_len is None else header_len
    length = struct.pack("<H", n) if version == 1 else struct.pack("<I", n)
    return b"\x93NUMPY" + bytes([version, 0]) + length + hb + data


# valid: big-endian and int64 arrays a numpy user writes (np.array(v, dtype='>f4') etc.)
BE_F4 = [1.5, -2.0, 3.0e38, 0.0]
BE_F8 = [0.1, -2.5, 1e300, -0.0]
BE_I4 = [-1, 0, 2**31 - 1, -(2**31)]
I8 = [-(2**63), 0, 42, 2**63 - 1]
write("valid_be_f4.npy", npy(">f4", (4,), struct.pack(">4f", *BE_F4)))
write("valid_be_f8.npy", npy(">f8", (2, 2), struct.pack(">4d", *BE_F8)))
write("valid_be_i4.npy", npy(">i4", (4,), struct.pack(">4i", *BE_I4)))
write("valid_be_i8.npy", npy(">i8", (2, 2), struct.pack(">4q", *I8)))
write("valid_le_i8.npy", npy("<i8", (4,), struct.pack("<4q", *I8)))

# header lies
write("npy_shape_larger_than_data.npy", npy("<f4", (250_000_000,), bytes(16)))  # 1 GB claimed
write("npy_negative_dim.npy", npy("<f4", (-1, 3), bytes(12)))
write("npy_shape_overflow.npy", npy("<f8", (2**62, 2**62), bytes(16)))
write("npy_too_many_dims.npy", npy("<f4", (1,) * 100, bytes(4)))
write("npy_absurd_header_length.npy", npy("<f4", (2,), bytes(8), version=2, header_len=0xFFFFFFF0))
write("npy_header_length_past_end.npy", npy("<f4", (2,), bytes(8), header_len=60000))
write("npy_truncated.npy", npy("<f8", (4,), bytes(10)))
# a header of 60,000 open parentheses (the header parser recurses per level)
write("npy_header_deep_nesting.npy",
      npy("<f4", (), b"", header="{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 60_000 + "}"))


# ----------------------------------------------------------------------------------------------- zip

def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zip_bytes(members):
    """A zip archive from (name, data, compress) or (name, data, compress, declared_size) tuples; the CRC stored is
    that of data; declared_size (a lie) replaces the uncompressed size in both headers."""
    out, central = bytearray(), bytearray()
    for m in members:
        name, data, compress = m[0], m[1], m[2]
        size = m[3] if len(m) > 3 else len(data)
        nb = name.encode("utf-8")
        body = deflate(data) if compress else data
        method = 8 if compress else 0
        crc = zlib.crc32(data) & 0xFFFFFFFF
        offset = len(out)
        common = struct.pack("<HHHHHIII", 20, 0x800, method, 0, 0x21, crc, len(body), size)
        out += struct.pack("<I", 0x04034B50) + common + struct.pack("<HH", len(nb), 0) + nb + body
        central += (struct.pack("<IH", 0x02014B50, 20) + common
                    + struct.pack("<HHHHHII", len(nb), 0, 0, 0, 0, 0, offset) + nb)
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_offset, 0)
    return bytes(out)


def flip(data, at):
    b = bytearray(data)
    b[at] ^= 0x01
    return bytes(b)


# ----------------------------------------------------------------------------------------------- .npz

x_npy = npy("<f4", (2, 3), struct.pack("<6f", 0, 1, 2, 3, 4, 5))
stored = zip_bytes([("x.npy", x_npy, False)])
# one bit of the stored member's float data flipped (its last byte: the header stays valid)
data_at = stored.index(x_npy) + len(x_npy) - 1
write("npz_crc_flip_stored.npz", flip(stored, data_at))

# incompressible data makes deflate emit a stored block, so a flipped bit there changes the data, not the stream
rng = random.Random(13)
noise = npy("<f4", (1024,), bytes(rng.getrandbits(8) for _ in range(4096)))
deflated = zip_bytes([("noise.npy", noise, True)])
write("npz_crc_flip_deflated.npz", flip(deflated, len(deflated) // 2))

# a zip bomb: 80 MB of zeros (a legitimate .npy) in about 80 KB, over the 64 MiB floor of the byte budget
bomb = npy("<f4", (20_000_000,), bytes(80_000_000))
write("npz_zip_bomb.npz", zip_bytes([("zeros.npy", bomb, True)]))
# a member that decompresses to far more than it declares (10 MB of zeros declared as 1000 bytes)
write("npz_member_longer_than_declared.npz",
      zip_bytes([("x.npy", npy("<f4", (2_500_000,), bytes(10_000_000)), True, 1000)]))
write("npz_truncated.npz", stored[: len(stored) // 2])
write("npz_member_header_lie.npz", zip_bytes([("x.npy", npy("<f4", (1_000_000_000,), bytes(16)), False)]))
write("npz_path_dotdot.npz", zip_bytes([("../../evil.npy", x_npy, False)]))
write("npz_path_absolute.npz", zip_bytes([("/tmp/evil.npy", x_npy, False)]))
write("npz_path_backslash.npz", zip_bytes([("..\\evil.npy", x_npy, False)]))
# legitimate: 8 MB of zeros, compressed about 1000:1; loads under the default 64 MiB floor
write("legit_zeros_compressed.npz", zip_bytes([("zeros.npy", npy("<f4", (2_000_000,), bytes(8_000_000)), True)]))


# ----------------------------------------------------------------------------------------------- pickles

PROTO2 = b"\x80\x02"
STOP = b"."
MARK, TUPLE, TUPLE1, TUPLE2, EMPTY_TUPLE = b"(", b"t", b"\x85", b"\x86", b")"
EMPTY_LIST, LIST, APPEND, APPENDS = b"]", b"l", b"a", b"e"
EMPTY_DICT, SETITEMS = b"}", b"u"
NONE, NEWFALSE, REDUCE, BINPERSID = b"N", b"\x89", b"R", b"Q"


def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def uni(s):
    b = s.encode("utf-8")
    return b"X" + struct.pack("<I", len(b)) + b


def integer(v):
    if 0 <= v < 256:
        return b"K" + bytes([v])
    if -(2**31) <= v < 2**31:
        return b"J" + struct.pack("<i", v)
    b = v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(b)]) + b


def tup(items):
    return MARK + b"".join(items) + TUPLE


def binput(i):
    return b"r" + struct.pack("<I", i)


def binget(i):
    return b"j" + struct.pack("<I", i)


def tensor(offset, size, stride, storage_type="FloatStorage", key="0", numel=6):
    """torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()) as torch pickles it."""
    pid = tup([uni("storage"), glob("torch", storage_type), uni(key), uni("cpu"), integer(numel)]) + BINPERSID
    return (glob("torch._utils", "_rebuild_tensor_v2")
            + tup([pid, integer(offset), tup([integer(d) for d in size]), tup([integer(d) for d in stride]),
                   NEWFALSE, glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE])
            + REDUCE)


F6 = struct.pack("<6f", 0, 1, 2, 3, 4, 5)


def pt(pickle_body, storages=None, compress_pkl=False, archive="archive", pkl_name=None):
    """A torch.save zip file: <archive>/data.pkl (PROTO 2 + body + STOP unless it ends in STOP already),
    <archive>/data/<key> for each storage, <archive>/version."""
    pkl = pickle_body if pickle_body.endswith(STOP) and pickle_body.startswith(b"\x80") else PROTO2 + pickle_body + STOP
    members = [(pkl_name or archive + "/data.pkl", pkl, compress_pkl)]
    for key, data in (storages or {}).items():
        members.append((archive + "/data/" + key, data, False))
    members.append((archive + "/version", b"3\n", False))
    return zip_bytes(members)


valid_pt = pt(tensor(0, (2, 3), (3, 1)), {"0": F6})
write("valid_tensor.pt", valid_pt)

# CRC flips: in the storage (data/0) and in the pickle
write("pt_crc_flip_storage.pt", flip(valid_pt, valid_pt.index(F6) + 5))
pkl_at = valid_pt.index(b"_rebuild_tensor_v2")
write("pt_crc_flip_pickle.pt", flip(valid_pt, pkl_at + 3))

# deep nesting: 100,000 one-element tuples around None (a 100 KB pickle), and 50,000 lists through MARK/LIST;
# the one stored as it is, the other deflated
write("pt_deep_tuples.pt", pt(NONE + TUPLE1 * 100_000))
write("pt_deep_lists.pt", pt(MARK * 50_000 + LIST * 50_000, compress_pkl=True))

# shared references: level i is [level i-1, level i-1]; 60 levels are 2^60 values to a walker, in under 1 KB
POP = b"0"
body = EMPTY_LIST + binput(0) + POP
for i in range(1, 61):
    body += MARK + binget(i - 1) + binget(i - 1) + LIST + binput(i) + (POP if i < 60 else b"")
write("pt_shared_reference_bomb.pt", pt(body))

# call amplification: OrderedDict(pairs) rebuilt from one memoised list of 2,000 pairs 2,000 times (4 M entries)
pairs = EMPTY_LIST + binput(0) + MARK + b"".join(tup([integer(i), NONE]) for i in range(2000)) + APPENDS
calls = MARK + (glob("collections", "OrderedDict") + MARK + binget(0) + TUPLE + REDUCE) * 2000 + LIST
write("pt_call_amplification.pt", pt(pairs + b"0" + calls, compress_pkl=True))

# a list that contains itself
write("pt_reference_cycle.pt", pt(EMPTY_LIST + binput(0) + binget(0) + APPEND))

# stride and size lies on a 6-element storage
write("pt_stride_past_storage.pt", pt(tensor(0, (2, 3), (100, 1)), {"0": F6}))
write("pt_size_past_storage.pt", pt(tensor(0, (1_000_000,), (1,)), {"0": F6}))
write("pt_offset_past_storage.pt", pt(tensor(1000, (2,), (1,)), {"0": F6}))
write("pt_negative_stride.pt", pt(tensor(5, (6,), (-1,)), {"0": F6}))
write("pt_extent_overflow.pt", pt(tensor(0, (4, 2), (2**62, 1)), {"0": F6}))
write("pt_storage_numel_lie.pt", pt(tensor(0, (2, 3), (3, 1), numel=10**12), {"0": F6}))
write("pt_too_many_dims.pt", pt(tensor(0, (1,) * 100, (1,) * 100), {"0": F6}))
# stride-0 views of one element: 2^28 floats (1 GiB), and 2^30 bools over 30 dimensions
write("pt_stride0_huge.pt", pt(tensor(0, (2**28,), (0,), numel=1), {"0": bytes(4)}))
write("pt_stride0_many_dims.pt", pt(tensor(0, (2,) * 30, (0,) * 30, storage_type="BoolStorage", numel=1), {"0": b"\x01"}))

# CPU-heavy numbers: a 200,000-digit LONG (decimal parsing is superlinear) and a 100 KB LONG4
write("pt_long_decimal_int.pt", pt(b"L" + b"7" * 200_000 + b"L\n", compress_pkl=True))
write("pt_long4_int.pt", pt(b"\x8b" + struct.pack("<i", 100_000) + b"\x01" * 100_000, compress_pkl=True))
# a string that claims 2^40 bytes
write("pt_string_length_lie.pt", pt(b"\x8d" + struct.pack("<Q", 2**40) + b"abc"))
# a zip bomb in the pickle member: an 80 MB string of one letter
write("pt_pickle_zip_bomb.pt", pt(b"\x8d" + struct.pack("<Q", 80_000_000) + b"a" * 80_000_000, compress_pkl=True))
# malformed text opcodes that used to escape as FormatException / ArgumentOutOfRangeException
write("pt_bad_memo_key.pt", pt(NONE + b"pnot-a-number\n"))
write("pt_bad_code_point.pt", pt(b"V\\U00110000\n"))
# _rebuild_from_type_v2(func, type, args, state) whose func is _rebuild_from_type_v2 again, 100,000 deep (torch
# nests it once; following it would recurse once per level)
rft = glob("torch._tensor", "_rebuild_from_type_v2")
levels = 100_000  # each level is tup([rft, torch.Tensor, <next level>, {}]); written flat, in linear time
nested = (MARK + rft + glob("torch", "Tensor")) * levels + NONE + (EMPTY_DICT + TUPLE) * levels
write("pt_nested_rebuild_from_type.pt", pt(rft + nested + REDUCE, compress_pkl=True))
# dict keys chosen to share one long.GetHashCode (k = i * (2^32 + 1) folds to 0): must load, and fast
keys = MARK + b"".join(integer(i * (2**32 + 1)) + NONE for i in range(1, 50_001)) + SETITEMS
write("pt_hash_collisions.pt", pt(EMPTY_DICT + keys, compress_pkl=True))
write("pt_truncated.pt", valid_pt[: len(valid_pt) * 2 // 3])
write("pt_path_dotdot.pt", pt(tensor(0, (2, 3), (3, 1)), {"0": F6}, archive="../archive"))
