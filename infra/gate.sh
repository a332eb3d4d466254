#!/usr/bin/env bash
# The infra/ policy-as-code gate (called by `make test`): every .tf parses (python-hcl2),
# checkov passes with zero failed checks and only justified inline skips, and a negative
# self-test proves the custom checks in infra/checks fire. Offline: no API key, no download.
#
# Usage: bash infra/gate.sh VENV_DIR   (VENV_DIR holds bin/checkov and bin/python with python-hcl2)
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: bash infra/gate.sh VENV_DIR" >&2
    exit 2
fi
venv=$(cd "$1" && pwd)
infra=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

for tool in "$venv/bin/checkov" "$venv/bin/python"; do
    if [[ ! -x $tool ]]; then
        echo "infra gate: $tool not found (pip install checkov python-hcl2 into $venv)" >&2
        exit 2
    fi
done

unset BC_API_KEY BC_API_URL PRISMA_API_URL
export CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE PYTHONDONTWRITEBYTECODE=1

exec "$venv/bin/python" "$infra/tools/gate.py" --checkov "$venv/bin/checkov" --infra "$infra"
