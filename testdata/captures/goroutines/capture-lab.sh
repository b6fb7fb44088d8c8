#!/bin/sh
# Records goroutine dumps of a lab containerd (CRI plugin on, 1 pod) for one lab version:
#   sh testdata/captures/goroutines/capture-lab.sh 1.7|2.1|seed      (root, repo root, after npm run build)
# into testdata/captures/goroutines/<containerd version>/ (1.7.24, 2.1.9, 1.6.20-seed6772):
#   debug-socket/goroutines.txt     GET /debug/pprof/goroutine?debug=2 on the [debug] socket
#   sigusr1/containerd.stacks.log   the file containerd writes on SIGUSR1 (in its TMPDIR, /tmp here)
#   sigusr1/containerd.log          containerd's own log lines about that dump
#   shim-sigusr1/containerd.log     a shim's SIGUSR1 dump as containerd copied it to its log (1.7, 2.1)
# and for the seed, the real containerd#6772 deadlock (ctrdoc lab fault deadlock-6772):
#   deadlock-6772/goroutines.txt, deadlock-6772/containerd.stacks.log, deadlock-6772/containerd.log
# Sanitised: the lab dir becomes /var/lib/ctrdoc-lab, the pid in file names PID. The 1.6.20
# captures beside this script were made by 1.6.20/capture.sh (a containerd without CRI).
set -eu
LV=${1:?usage: capture-lab.sh 1.7|2.1|seed}
D=/tmp/gcap-lab-$(echo "$LV" | tr -d .)
C="node dist/ctrdoc.cjs"
$C lab down --dir $D >/dev/null 2>&1 || true
$C lab up --dir $D --pods 1 --containerd "$LV" >/dev/null
trap '$C lab down --dir $D >/dev/null' EXIT
status() { $C lab status --dir $D -o json; }
V=$(status | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s).containerd.version;const m=/ v?(\d+\.\d+\.\d+)\S*?(\+seed\d+)?(\s|$)/.exec(v);console.log(m[1]+(m[2]?"-"+m[2].slice(1):""))})')
OUT=testdata/captures/goroutines/$V
san() { sed -e "s#$D#/var/lib/ctrdoc-lab#g"; }
dump() { # dump DIR: debug socket, then SIGUSR1 (file + log lines), into OUT/DIR
  pid=$(status | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).containerd.pid))')
  mkdir -p "$OUT/$1"
  curl -sS --max-time 10 --unix-socket $D/debug.sock 'http://localhost/debug/pprof/goroutine?debug=2' | san > "$OUT/$1/goroutines.txt"
  n=$(wc -l < $D/containerd.log)
  rm -f /tmp/containerd.$pid.stacks.log
  kill -USR1 "$pid"
  for _ in $(seq 50); do grep -aq 'goroutine stack dump written to' $D/containerd.log && [ -s /tmp/containerd.$pid.stacks.log ] && break; sleep 0.1; done
  sleep 0.5
  san < /tmp/containerd.$pid.stacks.log > "$OUT/$1/containerd.stacks.log"
  rm -f /tmp/containerd.$pid.stacks.log
  tail -n +$((n + 1)) $D/containerd.log | grep -a 'goroutine stack dump' | sed -e "s#containerd\.$pid\.#containerd.PID.#g" | san > "$OUT/$1/containerd.log"
  echo "capture-lab: $OUT/$1: $(grep -c '^goroutine ' "$OUT/$1/goroutines.txt") goroutines (debug socket), $(grep -c '^goroutine ' "$OUT/$1/containerd.stacks.log") (SIGUSR1)" >&2
}
if [ "$LV" = seed ]; then
  $C lab fault deadlock-6772 --dir $D >/dev/null
  dump deadlock-6772
  $C lab fault clear deadlock-6772 --dir $D >&2
  exit 0
fi
dump debug-socket
mkdir -p "$OUT/sigusr1"
mv "$OUT/debug-socket/containerd.stacks.log" "$OUT/debug-socket/containerd.log" "$OUT/sigusr1/"
# one shim's own dump: SIGUSR1 to it, containerd copies the shim's log (with -debug) into its own
shim=$(status | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).shims[0]))')
n=$(wc -l < $D/containerd.log)
kill -USR1 "$shim"
for _ in $(seq 50); do tail -n +$((n + 1)) $D/containerd.log | grep -aq "END goroutine stack dump" && break; sleep 0.1; done
mkdir -p "$OUT/shim-sigusr1"
tail -n +$((n + 1)) $D/containerd.log | grep -a "goroutine stack dump" | sed -e "s#pid=$shim#pid=4242#g" | san > "$OUT/shim-sigusr1/containerd.log"
echo "capture-lab: $OUT/shim-sigusr1: $(wc -c < "$OUT/shim-sigusr1/containerd.log") bytes" >&2
