#!/usr/bin/env bash
# Captures a doctor Snapshot of a STOPPED containerd (SIGSTOP, state T; containerd 1.6.20) with
# the kubelet stand-in and its log (DeadlineExceeded, PLEG, reserve-name lines): every CRI call
# runs into its deadline while the report still comes out. Then SIGCONT (lab fault clear).
# prune.mjs (the faulted capture's) keeps it small. Run as root from the repo root:
#   bash testdata/captures/snapshot/1.6.20/frozen-containerd/capture.sh   (CAPTURE_DIR: the lab dir)
set -euo pipefail
here=$(dirname "$0")
dir=${CAPTURE_DIR:-/tmp/ctrdoc-cap-frozen}
ctrdoc() { node dist/ctrdoc.cjs "$@"; }
ctrdoc lab down --dir "$dir" >/dev/null 2>&1 || true
ctrdoc lab up --dir "$dir" --pods 2 >/dev/null
trap 'ctrdoc lab fault clear --all --dir "$dir" >/dev/null; ctrdoc lab down --dir "$dir" >/dev/null' EXIT
. "$dir/env"
ctrdoc lab fault kubelet --dir "$dir" >/dev/null
ctrdoc lab fault frozen-containerd --dir "$dir" >/dev/null
# shellcheck disable=SC2086
ctrdoc doctor $CTRDOC_FLAGS --kubelet-log "$dir/kubelet/kubelet.log" --kubeadm-flags "$dir/kubelet/kubeadm-flags.env" \
  --snapshot "$here/snapshot.raw.json" >/dev/null || true
node "$here/../faulted/prune.mjs" "$here/snapshot.raw.json" "$dir" > "$here/snapshot.json"
rm -f "$here/snapshot.raw.json"
# the doctor reads the first kubelet process it finds: another lab's stand-in would leave its paths
if grep -q '"/tmp/' "$here/snapshot.json"; then echo "capture: another lab's kubelet stand-in was read (paths under /tmp); run again when it is gone" >&2; exit 1; fi
