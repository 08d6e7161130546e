#!/usr/bin/env bash
# Runs every test project of the solution, then the core library's tests (estimators, trainer, posteriors) a second
# time with the fused CPU kernels switched off (SBI_NET_FUSED=0: the module/autograd reference path), and prints one
# closing line "N passed, N failed, N skipped" over both passes.
# Usage: scripts/test.sh [extra dotnet test args]
#   SBI_NET_TEST_PASSES=default    only the first pass (the solution as configured)
#   ATEN_CPU_CAPABILITY=default|avx2|avx512, MKL_ENABLE_INSTRUCTIONS=AVX2|AVX512: another CPU kernel set
#   SBI_PARITY_SETTINGS=/nonexistent: as on a machine without the Python reference (live parity cases skip)
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
dotnet test Sbi.Net.sln -c Release --nologo "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ "${SBI_NET_TEST_PASSES:-all}" != "default" ]; then
  echo "== second pass: tests/Sbi.Net.Tests with SBI_NET_FUSED=0 (fused kernels off)"
  SBI_NET_FUSED=0 dotnet test tests/Sbi.Net.Tests/Sbi.Net.Tests.csproj -c Release --nologo --no-build "$@" 2>&1 | tee -a "$log"
  rc2=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] && rc=$rc2
fi
# dotnet test prints one "Passed!/Failed!  - Failed: a, Passed: b, Skipped: c, ..." line per test assembly and pass.
read -r passed failed skipped < <(grep -E '^\s*(Passed|Failed)!\s+-\s+Failed:' "$log" | awk -F'[:,]' '
  { f += $2; p += $4; s += $6 } END { printf "%d %d %d\n", p, f, s }')
rm -f "$log"
if [ "${passed:-0}" -eq 0 ] && [ "${failed:-0}" -eq 0 ] && [ "$rc" -ne 0 ]; then failed=1; fi
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit $rc
