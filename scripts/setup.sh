#!/usr/bin/env bash
# Installs what ctrdoc's demo and tests need on a fresh Debian 12 machine (as root): the real
# containerd stack from Debian's packages, the tools the tests compare against, and the npm
# dependencies from the lockfile. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in containerd:containerd runc:runc busybox:busybox-static panicparse:panicparse gdb:gdb chromium:chromium; do
  bin=${pair%%:*} pkg=${pair#*:}
  command -v "$bin" >/dev/null 2>&1 || need+=("$pkg")
done
command -v promtool >/dev/null 2>&1 && command -v prometheus-node-exporter >/dev/null 2>&1 || need+=(prometheus prometheus-node-exporter)  # fleet e2e: Prometheus 2.42 (with promtool), node_exporter 1.5
# busybox must be the static build: the lab copies it into images.
if command -v busybox >/dev/null 2>&1 && ! dpkg -s busybox-static >/dev/null 2>&1; then need+=(busybox-static); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing ${need[*]}; run as root (sudo) to install them" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# npm dependencies, exactly as locked; skipped when node_modules already matches the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
