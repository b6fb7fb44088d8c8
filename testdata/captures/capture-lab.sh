#!/bin/sh
# Records real captures from a faulted lab (run as root from the repo root):
#   sh testdata/captures/capture-lab.sh
# Each case dir gets the file and a `command` file with what produced it. Sanitised: the lab's
# temp dir becomes /var/lib/ctrdoc-lab. Goroutine dumps, /proc and runc captures are made elsewhere.
set -eu
V=1.6.20
D=/tmp/ccap
OUT=testdata/captures
C="node --import tsx src/cli/bin.ts"
san() { sed "s#$D#/var/lib/ctrdoc-lab#g"; }
rec() { # rec SOURCE CASE FILE COMMAND...
  src=$1; cse=$2; file=$3; shift 3
  mkdir -p "$OUT/$src/$V/$cse"
  sh -c "$*" 2>&1 | san | head -c 20000 > "$OUT/$src/$V/$cse/$file"
  echo "$*" | san > "$OUT/$src/$V/$cse/$file.command"
}
$C lab down --dir $D >/dev/null 2>&1 || true
$C lab up --dir $D --pods 2 >/dev/null
F="--runtime-endpoint unix://$D/containerd.sock"
rec cri healthy pods.json "$C cri pods -o json $F"
rec cri healthy info.json "$C cri info -o json $F"
$C lab fault hung-start --period 2s --dir $D >/dev/null 2>&1; sleep 5
rec cri hung-start ps-a.json "$C cri ps -a -o json $F"
rec containerd hung-start tasks.txt "ctr -a $D/containerd.sock -n k8s.io tasks ls"
rec containerd-log hung-start excerpt.log "grep -E 'CreateContainer|TaskCreate|/tasks/create' $D/containerd.log | tail -20"
$C lab fault clear hung-start --dir $D >/dev/null 2>&1
$C lab fault dead-shim --dir $D >/dev/null 2>&1
rec containerd-log dead-shim excerpt.log "grep -E 'shim disconnected|cleaning up|dead shim' $D/containerd.log | tail -20"
$C lab fault clear dead-shim --dir $D >/dev/null 2>&1
$C lab fault no-cni --dir $D >/dev/null 2>&1
rec cri no-cni info.json "$C cri info -o json $F"
$C lab fault clear no-cni --dir $D >/dev/null 2>&1
$C lab fault kubelet --variant removed-flag --dir $D >/dev/null 2>&1
rec kubelet removed-flag kubelet.log "cat $D/kubelet/kubelet.log"
rec kubelet removed-flag config.yaml "cat $D/kubelet/config.yaml"
rec kubelet removed-flag kubeadm-flags.env "cat $D/kubelet/kubeadm-flags.env"
$C lab fault clear kubelet --dir $D >/dev/null 2>&1
$C lab fault bad-config --dir $D >/dev/null 2>&1
rec config bad-config drift.diff "diff $D/config.default.toml $D/config.toml || true"
$C lab fault clear bad-config --dir $D >/dev/null 2>&1
$C lab down --dir $D >/dev/null
