#!/usr/bin/env bash
# Installs the load generators LoadMatrix drives: h2load (Debian package nghttp2-client) and wrk,
# plus chromium with --chromium (to screenshot target/load-matrix.html). Idempotent: a tool
# already on the PATH is left alone. Prints the versions it finds.
#   bash scripts/install-loadgen.sh [--chromium]
set -euo pipefail

want=()
command -v h2load >/dev/null 2>&1 || want+=(nghttp2-client)
command -v wrk >/dev/null 2>&1 || want+=(wrk)
if [[ "${1:-}" == "--chromium" ]]; then
  command -v chromium >/dev/null 2>&1 || want+=(chromium)
fi

if ((${#want[@]})); then
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "install-loadgen: need root or sudo to install: ${want[*]}" >&2
      exit 1
    fi
  fi
  echo "install-loadgen: installing ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${want[@]}"
fi

# h2load --version prints "h2load nghttp2/1.x"; wrk -v prints its version and exits 1.
echo "h2load: $(h2load --version 2>&1 | head -n1)"
echo "wrk:    $( (wrk -v 2>&1 || true) | head -n1)"
if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(chromium --version 2>/dev/null | head -n1)"
fi
