#!/bin/sh
# Records a containerd's own log around lab faults: every line it wrote from the fault on
# (debug lines and the plugin-loading lines of a start left out), at most 40, long lines cut at
# 2,000 characters, the lab dir renamed to /var/lib/ctrdoc-lab. test/unit/containerd-log-captures.test.ts
# (1.6.20) and test/unit/containerd-log-versions.test.ts (the others) run the log rules on them.
# And what a busy healthy node logs (every version, the seed too): `ctrdoc lab churn` for 12 s at
# one pod a second (web, job and restart pods in turn: execs, log rotation, exits 0, restarts,
# removals), all its lines but debug ones in churn/excerpt.log, and three pods' worth with the
# debug lines (the lab logs at debug, as a node being debugged does) in churn/debug.log, lines
# cut at 600 characters (the debug spec dumps run to kilobytes);
# test/unit/containerd-log-churn.test.ts checks that no log rule fires on them.
# Run as root from the repo root, after npm run build, for one lab version (default 1.6), and
# optionally only some cases (default all: churn, then the faults):
#   sh testdata/captures/containerd-log/capture.sh [1.6|1.7|2.1|seed] [churn|faults]
# It writes to testdata/captures/containerd-log/<containerd version>/ (1.6.20, 1.7.24, 2.1.9,
# 1.6.20-seed6772). The seed gets the deadlock-6772 fault instead of the others.
set -eu
LV=${1:-1.6}
CASES=${2:-churn faults}
# the lab dir: CTRDOC_CAPTURE_DIR, else /tmp/ccap-log-<version>
D=${CTRDOC_CAPTURE_DIR:-/tmp/ccap-log-$(echo "$LV" | tr -d .)}
C="node dist/ctrdoc.cjs"
L=$D/containerd.log
$C lab down --dir $D >/dev/null 2>&1 || true
$C lab up --dir $D --pods 2 --containerd "$LV" >/dev/null
trap '$C lab down --dir $D >/dev/null' EXIT
# the version dir: what the binary says (1.7.24~ds1 -> 1.7.24; the seed's +seed6772 kept as -seed6772)
V=$($C lab status --dir $D -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s).containerd.version;const m=/ v?(\d+\.\d+\.\d+)\S*?(\+seed\d+)?(\s|$)/.exec(v);console.log(m[1]+(m[2]?"-"+m[2].slice(1):""))})')
OUT=testdata/captures/containerd-log/$V
mark() { wc -l < $L; }
keep() { # keep FROM_LINE CASE HOW
  mkdir -p "$OUT/$2"
  tail -n +$(( $1 + 1 )) $L | grep -v -E 'level=debug|level=trace|msg="(skip )?loading plugin' | sed "s#$D#/var/lib/ctrdoc-lab#g" | cut -c1-2000 | head -40 > "$OUT/$2/excerpt.log"
  echo "$3 (containerd lab version $LV); then containerd's log from the fault on, debug and plugin-loading lines left out" > "$OUT/$2/excerpt.log.command"
}
# churn: no line cap, but only the churn's own lines (the lab's start is before the mark)
churn_keep() { # churn_keep FROM_LINE FILE FILTER HOW
  mkdir -p "$OUT/churn"
  tail -n +$(( $1 + 1 )) $L | grep -v -E "$3" | sed "s#$D#/var/lib/ctrdoc-lab#g" | cut -c1-600 > "$OUT/churn/$2"
  echo "$4 (containerd lab version $LV); then containerd's log from the churn's start on" > "$OUT/churn/$2.command"
}
case " $CASES " in *" churn "*)
  n=$(mark); $C lab churn --dir $D --rate 1 --for 12s >/dev/null; sleep 1
  churn_keep "$n" excerpt.log 'level=debug|level=trace' "ctrdoc lab churn --rate 1 --for 12s; debug and trace lines left out"
  n=$(mark); $C lab churn --dir $D --rate 1 --for 3s >/dev/null; sleep 1
  churn_keep "$n" debug.log 'level=trace' "ctrdoc lab churn --rate 1 --for 3s (one web, one job and one restart pod); debug lines kept, trace lines left out"
;; esac
case " $CASES " in *" faults "*) ;; *) exit 0 ;; esac
if [ "$LV" = seed ]; then
  n=$(mark); $C lab fault deadlock-6772 --dir $D >/dev/null; sleep 2
  keep "$n" deadlock-6772 "ctrdoc lab fault deadlock-6772 (4 /v1/metrics scrape loops, 2 kubelet-like pod creators, until the deadlock is proved)"
  $C lab fault clear deadlock-6772 --dir $D >/dev/null
  exit 0
fi
n=$(mark); $C lab fault dead-shim --dir $D >/dev/null; sleep 1
keep "$n" dead-shim "ctrdoc lab fault dead-shim"
$C lab fault clear dead-shim --dir $D >/dev/null
n=$(mark); $C lab fault no-cni --dir $D >/dev/null; sleep 1
keep "$n" no-cni "ctrdoc lab fault no-cni (it tries one pod-network sandbox)"
$C lab fault clear no-cni --dir $D >/dev/null
n=$(mark); $C lab fault hung-start --period 2s --dir $D >/dev/null; sleep 5
keep "$n" hung-start "ctrdoc lab fault hung-start --period 2s; 5 s of kubelet-like attempts"
$C lab fault clear hung-start --dir $D >/dev/null
n=$(mark); $C lab fault bad-config --variant drift --dir $D >/dev/null; $C lab up --dir $D --pods 3 >/dev/null 2>&1 || true
keep "$n" bad-config-drift "ctrdoc lab fault bad-config --variant drift; ctrdoc lab up --pods 3 (one new pod)"
$C lab fault clear bad-config --dir $D >/dev/null
pid=$($C lab status --dir $D -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).containerd.pid))')
n=$(mark); $C goroutines --pid "$pid" --signal >/dev/null; sleep 1
keep "$n" sigusr1 "ctrdoc goroutines --pid CONTAINERD --signal"
