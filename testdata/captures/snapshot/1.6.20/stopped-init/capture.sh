#!/usr/bin/env bash
# Captures a doctor Snapshot of a container whose `runc init` is STOPPED while containerd starts
# it (containerd 1.6.20, runc 1.1.5): a pod container created through CRI with its task created
# (stuck-init-task), its `runc init` sent SIGSTOP (state T), then Tasks.Start asked for, as CRI's
# StartContainer would: the shim's `runc start` blocks opening exec.fifo, Start waits. Then
# `ctrdoc doctor`, the goroutine dump read from the debug socket into its Snapshot (add-dump.ts:
# the doctor reads it only when something looks hung, and a stopped init does not look it yet),
# and prune.mjs (the faulted capture's) keeps it small.
# Run as root from the repo root:
#   bash testdata/captures/snapshot/1.6.20/stopped-init/capture.sh     (CAPTURE_DIR: the lab dir)
set -euo pipefail
here=$(dirname "$0")
dir=${CAPTURE_DIR:-/tmp/ctrdoc-cap-stopped}
ctrdoc() { node dist/ctrdoc.cjs "$@"; }
starter=
init=
cleanup() {
  [ -n "$init" ] && kill -CONT "$init" 2>/dev/null || true
  [ -n "$starter" ] && kill "$starter" 2>/dev/null || true
  wait 2>/dev/null || true
  ctrdoc lab down --dir "$dir" >/dev/null || true
}
ctrdoc lab down --dir "$dir" >/dev/null 2>&1 || true
ctrdoc lab up --dir "$dir" --pods 1 >/dev/null
trap cleanup EXIT
. "$dir/env"
ctrdoc lab fault stuck-init-task --dir "$dir" >/dev/null
read -r id init < <(runc --root "$dir/runc/k8s.io" list --format json | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const c = JSON.parse(s).find((x) => x.status === "created");
    if (!c) { console.error("capture: no created runc container"); process.exit(1); }
    console.log(c.id, c.pid);
  });')
kill -STOP "$init"
node --import tsx "$here/start-task.ts" "$dir/containerd.sock" "$id" 120000 >&2 &
starter=$!
sleep 8
# shellcheck disable=SC2086
ctrdoc doctor $CTRDOC_FLAGS --stuck-after 5s --snapshot "$here/snapshot.raw.json" >/dev/null || true
node --import tsx "$here/add-dump.ts" "$here/snapshot.raw.json" "$dir/debug.sock"
node "$here/../faulted/prune.mjs" "$here/snapshot.raw.json" "$dir" > "$here/snapshot.json"
rm -f "$here/snapshot.raw.json"
