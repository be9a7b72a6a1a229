#!/usr/bin/env bash
# The main job on a fresh machine: set up, then run the whole pipeline on BBC News (embedded store).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_UPDATE_CHECK=1
exec .venv/bin/kgsynth --workspace "${KGSYNTH_WORKSPACE:-workspace}" demo "$@"
