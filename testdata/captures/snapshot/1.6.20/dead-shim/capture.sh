#!/usr/bin/env bash
# Captures a doctor Snapshot after a pod's shim was SIGKILLed with containerd up (containerd
# 1.6.20, runc 1.1.5): containerd runs `shim delete`, the pod's containers die and the pod goes
# NotReady; the log says shim disconnected, ttrpc closed and cleaning up dead shim. The pod's
# name is written to killed-pod.txt for the test. prune.mjs (the faulted capture's) keeps it small.
# Run as root from the repo root:
#   bash testdata/captures/snapshot/1.6.20/dead-shim/capture.sh     (CAPTURE_DIR: the lab dir)
set -euo pipefail
here=$(dirname "$0")
dir=${CAPTURE_DIR:-/tmp/ctrdoc-cap-dead-shim}
ctrdoc() { node dist/ctrdoc.cjs "$@"; }
ctrdoc lab down --dir "$dir" >/dev/null 2>&1 || true
ctrdoc lab up --dir "$dir" --pods 2 >/dev/null
trap 'ctrdoc lab down --dir "$dir" >/dev/null' EXIT
. "$dir/env"
ctrdoc lab fault dead-shim --dir "$dir" | tail -n +2 | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).pod));' > "$here/killed-pod.txt"
sleep 3
# shellcheck disable=SC2086
ctrdoc doctor $CTRDOC_FLAGS --snapshot "$here/snapshot.raw.json" >/dev/null || true
node "$here/../faulted/prune.mjs" "$here/snapshot.raw.json" "$dir" > "$here/snapshot.json"
rm -f "$here/snapshot.raw.json"
