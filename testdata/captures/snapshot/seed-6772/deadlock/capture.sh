#!/usr/bin/env bash
# Captures a doctor Snapshot of a REAL containerd#6772 deadlock: Debian 12's containerd 1.6.20
# built with the 6772 fix reverted (the seed build; `Collector.Add` takes the collector lock, then
# go-metrics' Namespace lock, the lock order of 1.6.0-1.6.2), with runc 1.1.5. Steps: a lab with
# two pods on the seed build; `[metrics] address` on (metrics-on.ts restarts containerd with it);
# the kubelet stand-in (its log: DeadlineExceeded, reserve-name); four scrape loops on
# /v1/metrics plus a kubelet-like create loop (hung-start) until a scrape gets no answer in 5 s
# while CRI ListPodSandbox still answers; new pods asked for (lab up --pods 4); 35 s later
# `ctrdoc doctor` with the debug socket on.
# prune.mjs (the faulted capture's) keeps it small. Run as root from the repo root:
#   bash testdata/captures/snapshot/seed-6772/deadlock/capture.sh
# CTRDOC_SEED_BIN names the seed build's bin dir; CAPTURE_DIR the lab dir.
set -euo pipefail
here=$(dirname "$0")
dir=${CAPTURE_DIR:-/tmp/ctrdoc-cap-seed}
export PATH=${CTRDOC_SEED_BIN:-/opt/ctrdoc-preview/seed/usr/bin}:$PATH
case "$(containerd --version)" in *6772*) ;; *) echo "capture: containerd on PATH is not the seed build ($(containerd --version))" >&2; exit 2 ;; esac
ctrdoc() { node dist/ctrdoc.cjs "$@"; }
loops=()
cleanup() {
  for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ctrdoc lab down --dir "$dir" >/dev/null || true
}
ctrdoc lab down --dir "$dir" >/dev/null 2>&1 || true
ctrdoc lab up --dir "$dir" --pods 2 >/dev/null
trap cleanup EXIT
metrics=$(node --import tsx "$here/metrics-on.ts" "$dir")
. "$dir/env"
for _ in 1 2 3 4; do
  ( while :; do curl -s -m 30 -o /dev/null "http://$metrics/v1/metrics" || true; done ) &
  loops+=($!)
done
ctrdoc lab fault kubelet --dir "$dir" >/dev/null
ctrdoc lab fault hung-start --dir "$dir" --period 2s >/dev/null &
loops+=($!)
# the deadlock is real once a scrape gets no answer while CRI still lists every pod
for i in $(seq 60); do
  if ! curl -s -m 5 -o /dev/null "http://$metrics/v1/metrics"; then break; fi
  [ "$i" = 60 ] && { echo "capture: no deadlock after 60 tries" >&2; exit 1; }
done
ctrdoc cri pods -r "unix://$dir/containerd.sock" --timeout 2s >&2
echo "capture: /v1/metrics stopped answering; CRI still lists the pods above" >&2
# kubelet's side after the deadlock: new pods (RunPodSandbox parks each pause's runc init under a
# shim of its own) and the create loop's next attempt once its 30 s deadline ends the first
ctrdoc lab up --dir "$dir" --pods 4 >/dev/null 2>&1 &
loops+=($!)
sleep 35
# shellcheck disable=SC2086
ctrdoc doctor $CTRDOC_FLAGS --kubelet-log "$dir/kubelet/kubelet.log" --kubeadm-flags "$dir/kubelet/kubeadm-flags.env" \
  --stuck-after 5s --snapshot "$here/snapshot.raw.json" >/dev/null || true
node "$here/../../1.6.20/faulted/prune.mjs" "$here/snapshot.raw.json" "$dir" > "$here/snapshot.json"
rm -f "$here/snapshot.raw.json"
# the doctor reads the first kubelet process it finds: another lab's stand-in would leave its paths
if grep -q '"/tmp/' "$here/snapshot.json"; then echo "capture: another lab's kubelet stand-in was read (paths under /tmp); run again when it is gone" >&2; exit 1; fi
