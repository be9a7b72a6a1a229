#!/usr/bin/env bash
# Set up everything the tests need (venv, Chromium, Neo4j jars, docker-compose), then run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v docker-compose >/dev/null || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  if [ -z "$sudo" ] || command -v sudo >/dev/null; then
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "test: missing ${need[*]}; install them (apt-get install ${need[*]}) for the browser/compose tests" >&2
  fi
fi
[ -f scripts/neo4j.sh ] && bash scripts/neo4j.sh fetch
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_UPDATE_CHECK=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache  # the layers: import-linter contracts in pyproject.toml
exec .venv/bin/pytest -q -p no:cacheprovider "$@"
