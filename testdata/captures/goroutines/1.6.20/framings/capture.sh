#!/bin/bash
# Captures real goroutine dumps from the lab's containerd 1.6.20 and one of its shims, then
# re-frames them in every way people paste them (reframe.ts, beside this file). Run as root from
# the repo root after `npm run build`:
#   bash testdata/captures/goroutines/1.6.20/framings/capture.sh
# It starts its own lab in /tmp/ctrdoc-gframe-PID (2 pods) and takes it down at the end. It writes
# raw/ (the dumps as the stack gave them):
#   debug2.dump            GET /debug/pprof/goroutine?debug=2 on containerd's debug socket
#   debug1.dump            GET /debug/pprof/goroutine?debug=1, right after
#   containerd-stacks.dump the file containerd writes on SIGUSR1 ($TMPDIR/containerd.PID.stacks.log)
#   containerd-sigusr1.log containerd's own log line for that dump (logfmt, escaped)
#   shim-sigusr1.log       a shim's SIGUSR1 dump as containerd copied it to its log
# Sanitised: the lab dir becomes /tmp/ctrdoc-capture; nothing else is node-specific.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../../../.." && pwd)
cd "$ROOT"
D=/tmp/ctrdoc-gframe-$$
C=(node "$ROOT/dist/ctrdoc.cjs")
say() { echo "capture: $*" >&2; }
sanitise() { sed -e "s#$D#/tmp/ctrdoc-capture#g"; }
trap '"${C[@]}" lab down --dir "$D" >/dev/null 2>&1 || true' EXIT
"${C[@]}" lab up --dir "$D" --pods 2 >/dev/null
CPID=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).containerd.pid)' "$D/lab.json")
RAW=$HERE/raw
mkdir -p "$RAW"
curl -sS --max-time 5 --unix-socket "$D/debug.sock" 'http://localhost/debug/pprof/goroutine?debug=2' | sanitise > "$RAW/debug2.dump"
curl -sS --max-time 5 --unix-socket "$D/debug.sock" 'http://localhost/debug/pprof/goroutine?debug=1' | sanitise > "$RAW/debug1.dump"
say "debug=2: $(grep -c '^goroutine ' "$RAW/debug2.dump") goroutines; $(head -1 "$RAW/debug1.dump")"

# containerd on SIGUSR1: a stacks file in its TMPDIR, and the same dump in one log line
TMP=$(tr '\0' '\n' < "/proc/$CPID/environ" | sed -n 's/^TMPDIR=//p'); TMP=${TMP:-/tmp}
STACKS=$TMP/containerd.$CPID.stacks.log
before=$(grep -c 'BEGIN goroutine stack dump' "$D/containerd.log" || true)
kill -USR1 "$CPID"
for _ in $(seq 50); do [ -s "$STACKS" ] && [ "$(grep -c 'END goroutine stack dump' "$D/containerd.log" || true)" -gt "$before" ] && break; sleep 0.1; done
sleep 0.3
sanitise < "$STACKS" > "$RAW/containerd-stacks.dump"
rm -f "$STACKS"
grep -a 'BEGIN goroutine stack dump' "$D/containerd.log" | grep -av ' pid=' | tail -1 | sanitise > "$RAW/containerd-sigusr1.log"
say "SIGUSR1: $(grep -c '^goroutine ' "$RAW/containerd-stacks.dump") goroutines"

# a shim on SIGUSR1: its dump comes through containerd's log, with the shim's pid in the line
SHIM=$("${C[@]}" shims --runtime-endpoint "unix://$D/containerd.sock" --address "$D/containerd.sock" 2>/dev/null | awk 'NR==2 {print $1}')
kill -USR1 "$SHIM"
for _ in $(seq 50); do grep -aq "END goroutine stack dump.*pid=$SHIM" "$D/containerd.log" && break; sleep 0.1; done
grep -a "goroutine stack dump.*pid=$SHIM" "$D/containerd.log" | sed -e "s#pid=$SHIM#pid=4242#g" | sanitise > "$RAW/shim-sigusr1.log"
say "shim $SHIM: $(wc -c < "$RAW/shim-sigusr1.log") bytes"

node --import tsx "$HERE/reframe.ts"
