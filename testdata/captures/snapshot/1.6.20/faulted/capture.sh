#!/usr/bin/env bash
# Captures a doctor Snapshot from a faulted lab (containerd 1.6.20, runc 1.1.5): the seed's
# hung-start, a raw stuck init, a leaked runc container, a busy shim, a crash loop and the kubelet
# stand-in with a cgroup-driver mismatch. Then prune.mjs keeps it small: only the stack's processes,
# no OCI specs, and the lab dir renamed to /var/lib/ctrdoc-lab. Run as root from the repo root:
#   bash testdata/captures/snapshot/1.6.20/faulted/capture.sh
set -euo pipefail
here=$(dirname "$0")
dir=/tmp/ctrdoc-cap-snap
ctrdoc() { node dist/ctrdoc.cjs "$@"; }
ctrdoc lab down --dir "$dir" >/dev/null 2>&1 || true
ctrdoc lab up --dir "$dir" --pods 2 >/dev/null
trap 'ctrdoc lab down --dir "$dir" >/dev/null' EXIT
. "$dir/env"
ctrdoc lab fault kubelet --dir "$dir" --variant cgroup-driver >/dev/null
ctrdoc lab fault hung-start --dir "$dir" --period 3s >/dev/null
ctrdoc lab fault stuck-init --dir "$dir" >/dev/null
ctrdoc lab fault leaked-runc --dir "$dir" >/dev/null
ctrdoc lab fault busy-shim --dir "$dir" >/dev/null
ctrdoc lab fault crashloop --dir "$dir" --period 1s >/dev/null
sleep 8
# shellcheck disable=SC2086
ctrdoc doctor $CTRDOC_FLAGS --kubelet-log "$dir/kubelet/kubelet.log" --kubeadm-flags "$dir/kubelet/kubeadm-flags.env" \
  --stuck-after 5s --no-goroutines --snapshot "$here/snapshot.raw.json" >/dev/null || true
node "$here/prune.mjs" "$here/snapshot.raw.json" "$dir" > "$here/snapshot.json"
rm -f "$here/snapshot.raw.json"
