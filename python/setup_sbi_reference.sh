#!/usr/bin/env bash
# Installs the Python reference (the real sbi) for the parity harness on a Debian 12 developer machine.
# NOT run in CI: recorded parity runs from committed fixtures without Python.
#
# What it does (outside the repository, under $PREFIX, default /opt/sbi-ref):
#   1. apt-get: Debian's torch 1.13.1 (~1.1 GB), numpy, scipy, scikit-learn, libpython3.11, protoc, and the
#      small pure-Python packages sbi imports (tqdm, matplotlib, protobuf, absl, tabulate); OpenBLAS so that
#      torch does not fall back to the slow reference BLAS.
#   2. Pure-Python sources, checked out from git (PyPI is not needed): sbi at 900821dc (the version the
#      fixtures come from; v0.27.0 + per-model configs), nflows v0.14, zuko 1.6.0, skorch v1.1.0 and
#      tensorboard 2.12.3 (whose _pb2 modules are generated here with protoc).
#   3. Writes $PREFIX/sbi-parity.json, which the harness finds by itself (see SbiReference / README).
#
# Usage: python/setup_sbi_reference.sh [--prefix DIR] [--mirror DIR]
#   --mirror DIR  a folder with bare clones named <owner>+<repo>/repo (as the fetch tool leaves them) or
#                 <repo>.git; without it the repositories are cloned from GitHub.
# Afterwards: /usr/bin/python3 -c "import sbi, torch; print(sbi.__version__, torch.__version__)" with the
# PYTHONPATH printed at the end.
set -euo pipefail

PREFIX=/opt/sbi-ref
MIRROR=
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --mirror) MIRROR=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

# owner/repo  ref  subfolder-to-extract (empty: whole tree; skorch/tensorboard snapshots may lack large files)
SOURCES=(
  "sbi-dev/sbi 900821dc sbi"
  "bayesiains/nflows v0.14 nflows"
  "probabilists/zuko 1.6.0 zuko"
  "skorch-dev/skorch v1.1.0 skorch"
  "tensorflow/tensorboard 2.12.3 tensorboard"
)

echo "== apt packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3-torch python3-numpy python3-scipy python3-sklearn libpython3.11 protobuf-compiler \
  python3-protobuf python3-tqdm python3-matplotlib python3-absl python3-tabulate libopenblas0-pthread git >/dev/null

git_dir() { # where the bare repository for owner/repo lives (cloned on demand)
  local slug=$1 name=${1#*/}
  for cand in "$MIRROR/${slug/\//+}/repo" "$MIRROR/$name.git"; do
    [ -n "$MIRROR" ] && [ -d "$cand" ] && { echo "$cand"; return; }
  done
  local dst=$PREFIX/git/$name.git
  [ -d "$dst" ] || git clone -q --bare "https://github.com/$slug.git" "$dst"
  echo "$dst"
}

echo "== sources into $PREFIX/src"
mkdir -p "$PREFIX/src"
for entry in "${SOURCES[@]}"; do
  read -r slug ref sub <<<"$entry"
  name=${slug#*/}
  gd=$(git_dir "$slug")
  rm -rf "$PREFIX/src/$name"
  mkdir -p "$PREFIX/src/$name"
  # Partial mirrors lack some large blobs outside $sub; git then prints "invalid object" but still exits 0.
  git --git-dir="$gd" archive "$ref" "$sub" | tar -x -C "$PREFIX/src/$name"
  git --git-dir="$gd" rev-parse "$ref^{commit}" >"$PREFIX/src/$name/GIT_COMMIT"
  echo "$name $ref $(cat "$PREFIX/src/$name/GIT_COMMIT")"
done

echo "== tensorboard protobuf modules"
(cd "$PREFIX/src/tensorboard" && protoc --proto_path=. --python_out=. $(find tensorboard -name '*.proto'))

PYTHONPATH_REF=$(printf "%s:" "$PREFIX"/src/{sbi,nflows,zuko,skorch,tensorboard}); PYTHONPATH_REF=${PYTHONPATH_REF%:}
BLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-pthread
cat >"$PREFIX/sbi-parity.json" <<EOF
{
  "pythonLib": "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0",
  "pythonPath": "$PYTHONPATH_REF",
  "ldLibraryPath": "$BLAS_DIR"
}
EOF

echo "== check"
cd "$(mktemp -d)"  # sbi writes ./sbi-logs
PYTHONPATH=$PYTHONPATH_REF LD_LIBRARY_PATH=$BLAS_DIR /usr/bin/python3 - <<'EOF'
import torch, sbi
from sbi.inference import NPE_B
from sbi.utils import BoxUniform
print("sbi", sbi.__version__, "torch", torch.__version__)
torch.manual_seed(0)
prior = BoxUniform(-2 * torch.ones(2), 2 * torch.ones(2))
theta = prior.sample((500,)); x = theta + 0.1 * torch.randn_like(theta)
trainer = NPE_B(prior=prior, show_progress_bars=False)
trainer.append_simulations(theta, x, proposal=prior).train(max_num_epochs=3)
print("tiny NPE_B train OK, samples:", trainer.build_posterior().sample((3,), x=torch.zeros(1, 2), show_progress_bars=False).shape)
EOF
echo "Settings written to $PREFIX/sbi-parity.json; PYTHONPATH=$PYTHONPATH_REF"
