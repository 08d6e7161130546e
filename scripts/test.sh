#!/usr/bin/env bash
# Runs every test project of the solution and prints one closing line "N passed, N failed, N skipped".
# Usage: scripts/test.sh [extra dotnet test args]
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
dotnet test Sbi.Net.sln -c Release --nologo "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# dotnet test prints one "Passed!/Failed!  - Failed: a, Passed: b, Skipped: c, ..." line per test assembly.
read -r passed failed skipped < <(grep -E '^\s*(Passed|Failed)!\s+-\s+Failed:' "$log" | awk -F'[:,]' '
  { f += $2; p += $4; s += $6 } END { printf "%d %d %d\n", p, f, s }')
rm -f "$log"
if [ "${passed:-0}" -eq 0 ] && [ "${failed:-0}" -eq 0 ] && [ "$rc" -ne 0 ]; then failed=1; fi
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit $rc
