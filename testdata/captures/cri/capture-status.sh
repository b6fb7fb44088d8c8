#!/bin/sh
# Records one containerd version's verbose CRI Status (what `crictl info` shows) from a private
# containerd started here as this script's child (run as root from the repo root):
#   sh testdata/captures/cri/capture-status.sh VERSION BINDIR [DIR]
#   e.g. sh testdata/captures/cri/capture-status.sh 2.1.9 /opt/ctrdoc-preview/2.1/usr/bin /tmp/ctrdoc-capture-2.1
# The daemon gets its own root, state, sockets and CNI dirs under DIR, a config in the version's
# native format (version = 2 for 1.x, 3 for 2.x) with a lab-like CRI section, and a PATH with
# BINDIR first so it would use its own shim. It is stopped by its pid and DIR removed.
# Writes testdata/captures/cri/VERSION/status.json (`ctrdoc cri info -o json`) and version.json,
# with DIR replaced by /var/lib/ctrdoc-lab.
set -eu
V=$1
BIN=$2
D=${3:-/tmp/ctrdoc-capture-$V}
OUT=testdata/captures/cri/$V
C="node --import tsx src/cli/bin.ts"
mkdir -p "$OUT" "$D/cni/net.d" "$D/cni/bin"
cat > "$D/cni/net.d/10-lab.conflist" <<JSON
{"cniVersion": "0.4.0", "name": "ctrdoc-lab", "plugins": [{"type": "bridge", "bridge": "ctrdoc0", "ipam": {"type": "host-local", "subnet": "10.244.77.0/24"}}]}
JSON
case "$("$BIN/containerd" --version)" in
  *" 2."*) cat > "$D/config.toml" <<TOML
version = 3
root = '$D/root'
state = '$D/state'
[grpc]
  address = '$D/containerd.sock'
[ttrpc]
  address = '$D/containerd.sock.ttrpc'
[debug]
  address = '$D/debug.sock'
[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = 'ctrdoc.local/lab/pause:1'
[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = ['$D/cni/bin']
  conf_dir = '$D/cni/net.d'
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  Root = '$D/runc'
  SystemdCgroup = false
[plugins.'io.containerd.internal.v1.opt']
  path = '$D/opt'
[plugins.'io.containerd.nri.v1.nri']
  disable = true
TOML
  ;;
  *) cat > "$D/config.toml" <<TOML
version = 2
root = "$D/root"
state = "$D/state"
[grpc]
  address = "$D/containerd.sock"
[ttrpc]
  address = "$D/containerd.sock.ttrpc"
[debug]
  address = "$D/debug.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "ctrdoc.local/lab/pause:1"
  restrict_oom_score_adj = true
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "$D/cni/bin"
  conf_dir = "$D/cni/net.d"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  Root = "$D/runc"
  SystemdCgroup = false
[plugins."io.containerd.internal.v1.opt"]
  path = "$D/opt"
TOML
  ;;
esac
PATH="$BIN:$PATH" "$BIN/containerd" --config "$D/config.toml" > "$D/containerd.log" 2>&1 &
PID=$!
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$D"; }
trap stop EXIT
i=0
until [ -S "$D/containerd.sock" ]; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "containerd did not start: $(tail -5 "$D/containerd.log")" >&2; exit 1; }
  sleep 0.1
done
san() { sed "s#$D#/var/lib/ctrdoc-lab#g"; }
# the CRI plugin answers Status once it has loaded (its image and runtime halves on 2.x)
i=0
until $C cri info -r "unix://$D/containerd.sock" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 50 ] || { echo "CRI did not answer: $(tail -5 "$D/containerd.log")" >&2; exit 1; }
  sleep 0.2
done
$C cri info -o json -r "unix://$D/containerd.sock" | san > "$OUT/status.json"
$C cri version -o json -r "unix://$D/containerd.sock" | san > "$OUT/version.json"
