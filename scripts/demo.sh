#!/usr/bin/env bash
# The main job, on this machine, in two parts:
#  1. the seed's own incident for real: a lab running the seed build (Debian 12's containerd with
#     the containerd#6772 fix reverted) deadlocks under a Prometheus-like scrape and kubelet-like
#     pod creation; `ctrdoc doctor` and the goroutine dump on it; then the SRE's fix, a restart;
#  2. a lab containerd 1.6.20 with real pods and many real faults injected (the seed's incident
#     imitated among them), then `ctrdoc doctor` on it, ending in its report.
# Changes this machine while it runs (processes, mounts and cgroups under the lab dirs); the labs
# are taken down at the end unless --keep is given.
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=${CTRDOC_DEMO_DIR:-/tmp/ctrdoc-demo}
SEED=$DIR-seed
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
ctrdoc() { node dist/ctrdoc.cjs "$@"; }

if [ "$(id -u)" != 0 ]; then echo "demo: the lab runs containerd and runc, which need root" >&2; exit 2; fi
ctrdoc lab down --dir "$SEED" >/dev/null 2>&1 || true
ctrdoc lab down --dir "$DIR" >/dev/null 2>&1 || true
trap 'ctrdoc lab down --dir "$SEED" >/dev/null 2>&1' EXIT

echo "== 1. the seed's incident, for real: containerd#6772 on the seed build =="
ctrdoc lab up --dir "$SEED" --containerd seed --pods 3 || exit 2
ctrdoc lab fault deadlock-6772 --dir "$SEED" >/dev/null || exit 2
echo; echo "-- what kubelet and crictl see: every pod Ready, while no container can start --"
ctrdoc cri pods -r "unix://$SEED/containerd.sock"
echo; echo "-- ctrdoc doctor on the deadlocked containerd --"
# shellcheck disable=SC1091
(. "$SEED/env"; ctrdoc doctor $CTRDOC_FLAGS --canary --timeout 10s)
seedcode=$?
echo; echo "-- containerd's own goroutine dump (debug socket): the lock-order inversion --"
ctrdoc goroutines --address "$SEED/debug.sock" | sed -n '1,/^BUCKETS/p' | sed '$d'
echo; echo "-- the SRE's way out: restart containerd; the running containers survive --"
ctrdoc lab fault clear deadlock-6772 --dir "$SEED"
ctrdoc lab down --dir "$SEED" >/dev/null
trap - EXIT

echo; echo "== 2. containerd 1.6.20 with real faults =="
ctrdoc lab up --dir "$DIR" --containerd 1.6 --pods 4 || exit 2
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
[ "$code" -le 1 ] && [ "$seedcode" -le 1 ]
