#!/usr/bin/env bash
# The main job, on this machine: a private lab containerd with real pods, real faults injected
# (the seed's incident among them), then `ctrdoc doctor` on it, ending in its report.
# Changes this machine while it runs (processes, mounts and cgroups under the lab dir); the lab
# is taken down at the end unless --keep is given.
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=${CTRDOC_DEMO_DIR:-/tmp/ctrdoc-demo}
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
ctrdoc() { node dist/ctrdoc.cjs "$@"; }

if [ "$(id -u)" != 0 ]; then echo "demo: the lab runs containerd and runc, which need root" >&2; exit 2; fi
ctrdoc lab down --dir "$DIR" >/dev/null 2>&1 || true
ctrdoc lab up --dir "$DIR" --pods 4 || exit 2
# shellcheck disable=SC1091
. "$DIR/env"

echo; echo "== injecting faults (each is real: real processes, files and API answers) =="
ctrdoc lab fault kubelet --dir "$DIR" --variant cgroup-driver
ctrdoc lab fault bad-config --dir "$DIR" --variant unapplied
ctrdoc lab fault hung-start --dir "$DIR" --period 8s
ctrdoc lab fault stuck-init --dir "$DIR"
ctrdoc lab fault dead-shim --dir "$DIR"
ctrdoc lab fault busy-shim --dir "$DIR"
ctrdoc lab fault leaked-runc --dir "$DIR"
ctrdoc lab fault crashloop --dir "$DIR" --period 3s
ctrdoc lab fault frozen-pod --dir "$DIR"
echo "waiting 20s: kubelet-like retries pile up parked runc inits, the crash loop restarts..."
sleep 20

echo; echo "== what kubelet and crictl see: everything looks Ready =="
ctrdoc cri pods
echo; echo "== ctrdoc doctor =="
# shellcheck disable=SC2086
ctrdoc doctor $CTRDOC_FLAGS --kubelet-log "$DIR/kubelet/kubelet.log" --kubeadm-flags "$DIR/kubelet/kubeadm-flags.env" --stuck-after 10s
code=$?
if [ "$KEEP" = 0 ]; then ctrdoc lab down --dir "$DIR" >/dev/null; else echo "lab kept at $DIR (ctrdoc lab down --dir $DIR)"; fi
# doctor exits 1 when it finds problems: in this demo that is the expected outcome.
[ "$code" -le 1 ]
