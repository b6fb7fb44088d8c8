#!/bin/sh
# Records containerd 1.6.20's own log around lab faults: every line it wrote from the fault on
# (debug lines and the plugin-loading lines of a start left out), at most 40, long lines cut at
# 2,000 characters, the lab dir renamed to /var/lib/ctrdoc-lab. test/unit/containerd-log-captures.test.ts runs the log rules on them.
# Run as root from the repo root, after npm run build:
#   sh testdata/captures/containerd-log/capture.sh
set -eu
V=1.6.20
D=/tmp/ccap-log
OUT=testdata/captures/containerd-log/$V
C="node dist/ctrdoc.cjs"
L=$D/containerd.log
$C lab down --dir $D >/dev/null 2>&1 || true
$C lab up --dir $D --pods 2 >/dev/null
trap '$C lab down --dir $D >/dev/null' EXIT
mark() { wc -l < $L; }
keep() { # keep FROM_LINE CASE HOW
  mkdir -p "$OUT/$2"
  tail -n +$(( $1 + 1 )) $L | grep -v -E 'level=debug|msg="(skip )?loading plugin' | sed "s#$D#/var/lib/ctrdoc-lab#g" | cut -c1-2000 | head -40 > "$OUT/$2/excerpt.log"
  echo "$3; then containerd's log from the fault on, debug and plugin-loading lines left out" > "$OUT/$2/excerpt.log.command"
}
n=$(mark); $C lab fault dead-shim --dir $D >/dev/null; sleep 1
keep "$n" dead-shim "ctrdoc lab fault dead-shim"
$C lab fault clear dead-shim --dir $D >/dev/null
n=$(mark); $C lab fault no-cni --dir $D >/dev/null; sleep 1
keep "$n" no-cni "ctrdoc lab fault no-cni (it tries one pod-network sandbox)"
$C lab fault clear no-cni --dir $D >/dev/null
n=$(mark); $C lab fault bad-config --variant drift --dir $D >/dev/null; $C lab up --dir $D --pods 3 >/dev/null 2>&1 || true
keep "$n" bad-config-drift "ctrdoc lab fault bad-config --variant drift; ctrdoc lab up --pods 3 (one new pod)"
$C lab fault clear bad-config --dir $D >/dev/null
pid=$($C lab status --dir $D -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).containerd.pid))')
n=$(mark); $C goroutines --pid "$pid" --signal >/dev/null; sleep 1
keep "$n" sigusr1 "ctrdoc goroutines --pid CONTAINERD --signal"
