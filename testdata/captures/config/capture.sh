#!/bin/sh
# Records each containerd version's own config files, no daemon needed (run from the repo root):
#   sh testdata/captures/config/capture.sh VERSION BINARY
#   e.g. sh testdata/captures/config/capture.sh 2.1.9 /opt/ctrdoc-preview/2.1/usr/bin/containerd
# Writes testdata/captures/config/VERSION/:
#   default.toml  `containerd config default` of that binary
#   lab.toml      a lab-like config in the version's native format (version = 2 for 1.x, 3 for
#                 2.x), with the changes a node commonly carries: SystemdCgroup, a sandbox image,
#                 restrict_oom_score_adj, [metrics] and [debug] addresses, debug level, CNI dirs,
#                 runc's root
#   dump.toml     `containerd --config lab.toml config dump`: that config merged by the binary
#   2.x only: lab-v2.toml (the 1.x file) and dump-v2.toml (2.x's dump of it, migrated)
# Paths point under /var/lib/ctrdoc-lab (nothing is created there: config dump only reads).
set -eu
V=$1
BIN=$2
OUT=testdata/captures/config/$V
D=/var/lib/ctrdoc-lab
mkdir -p "$OUT"
lab_v2() { cat <<TOML
version = 2
root = "$D/root"
state = "$D/state"

[grpc]
  address = "$D/containerd.sock"

[debug]
  address = "$D/debug.sock"
  level = "debug"

[metrics]
  address = "127.0.0.1:1338"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "ctrdoc.local/lab/pause:1"
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$D/cni/bin"
      conf_dir = "$D/cni/net.d"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          Root = "$D/runc"
          SystemdCgroup = true
TOML
}
"$BIN" config default > "$OUT/default.toml"
case "$("$BIN" --version)" in
  *" 2."*)
    # 2.x also reads a version 2 file, migrated in memory: the same settings through it
    lab_v2 > "$OUT/lab-v2.toml"
    "$BIN" --config "$OUT/lab-v2.toml" config dump > "$OUT/dump-v2.toml"
    cat > "$OUT/lab.toml" <<TOML
version = 3
root = '$D/root'
state = '$D/state'

[grpc]
  address = '$D/containerd.sock'

[debug]
  address = '$D/debug.sock'
  level = 'debug'

[metrics]
  address = '127.0.0.1:1338'

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = 'ctrdoc.local/lab/pause:1'

  [plugins.'io.containerd.cri.v1.runtime']
    restrict_oom_score_adj = true
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ['$D/cni/bin']
      conf_dir = '$D/cni/net.d'
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          Root = '$D/runc'
          SystemdCgroup = true
TOML
  ;;
  *) lab_v2 > "$OUT/lab.toml"
  ;;
esac
"$BIN" --config "$OUT/lab.toml" config dump > "$OUT/dump.toml"
"$BIN" --version > "$OUT/version.txt"
