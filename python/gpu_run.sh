#!/usr/bin/env bash
# The one prepared GPU run (issue: CUDA training and sampling). Run from the repo root ON THE GPU MACHINE after
# `../shared/gpu/pack.sh src/Sbi.Cli/Sbi.Cli.csproj` was run here (it writes .device/, carried with the run) and,
# for the Python side, fetched sbi/nflows/zuko sources were copied to .device/pysrc (carried, never committed).
#   bash python/gpu_run.sh            # everything lands in $OUT (or ./gpu-out)
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
# 1. Sbi.Net: smoke (every op, CPU vs GPU) + timings on CUDA, then the same timings on the machine's CPU.
timeout 420 bash .device/on-device.sh app/sbi-net.dll bench gpu --device cuda --epochs 3 2>&1 | tee "$out/sbinet-cuda.txt"
timeout 200 bash .device/on-device.sh app/sbi-net.dll bench gpu --device cpu --skip-smoke --threads 16 --epochs 2 --batches 20000 --samples 1000000 2>&1 | tee "$out/sbinet-cpu.txt"
# 2. Python sbi on the same GPU (PyTorch 2.11 CUDA is installed there).
if [ -d .device/pysrc ]; then
  PYTHONPATH=$(ls -d .device/pysrc/* | tr '\n' ':') timeout 400 python3 python/gpu_bench_sbi.py --device cuda --epochs 3 2>&1 | tee "$out/sbi-cuda.txt"
fi
