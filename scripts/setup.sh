#!/usr/bin/env bash
# Installs what ctrdoc's demo and tests need on a fresh Debian 12 machine (as root), and says
# what it does:
#  1. from Debian 12's packages, only what is missing: containerd, runc, busybox-static,
#     panicparse, gdb, chromium and xz-utils (the seed build unpacks .tar.xz); refused if apt
#     would upgrade anything already installed (a simulation first);
#  2. the npm dependencies from the lockfile (npm ci), then the build (dist/);
#  3. the lab's other containerd versions, into /var/cache/ctrdoc (ctrdoc lab prepare): 1.7 and
#     2.1 fetched from Debian trixie/sid with a private apt configuration (the system's apt
#     sources are not touched, nothing is installed), and the seed build (Debian 12's containerd
#     source with the containerd#6772 fix reverted: a few minutes the first time, cached after).
#     CTRDOC_SETUP_VERSIONS="1.7 2.1" prepares fewer; "none" skips this step.
# Safe to run again: each step does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "setup: $*" >&2; }

need=()
for pair in containerd:containerd runc:runc busybox:busybox-static panicparse:panicparse gdb:gdb chromium:chromium xz:xz-utils; do
  bin=${pair%%:*} pkg=${pair#*:}
  command -v "$bin" >/dev/null 2>&1 || need+=("$pkg")
done
command -v promtool >/dev/null 2>&1 && command -v prometheus-node-exporter >/dev/null 2>&1 || need+=(prometheus prometheus-node-exporter)  # fleet e2e: Prometheus 2.42 (with promtool), node_exporter 1.5
# busybox must be the static build: the lab copies it into images.
if command -v busybox >/dev/null 2>&1 && ! dpkg -s busybox-static >/dev/null 2>&1; then need+=(busybox-static); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    say "missing ${need[*]}; run as root (sudo) to install them"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  say "apt-get update, then installing ${need[*]} from Debian 12"
  apt-get update -qq
  # new packages only: a simulation that would upgrade an installed package stops here
  upgrades=$(apt-get -s install --no-install-recommends "${need[@]}" | sed -n 's/^Inst \([^ ]*\) \[\([^]]*\)\].*/\1 (installed \2)/p')
  if [ -n "$upgrades" ]; then
    say "installing ${need[*]} would upgrade installed packages, which setup never does:"
    echo "$upgrades" | sed 's/^/  /' >&2
    say "install them yourself, or upgrade the system first"
    exit 1
  fi
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# npm dependencies, exactly as locked; skipped when node_modules already matches the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi
say "building dist/"
npm run --silent build

versions=${CTRDOC_SETUP_VERSIONS:-1.7 2.1 seed}
if [ "$versions" != none ]; then
  if [ "$(id -u)" != 0 ]; then
    say "not root: the lab's containerd versions ($versions) are not prepared; the tests that need them will say so"
  else
    for v in $versions; do
      say "preparing the lab's containerd $v in /var/cache/ctrdoc (ctrdoc lab prepare --containerd $v)"
      node dist/ctrdoc.cjs lab prepare --containerd "$v"
    done
  fi
fi
