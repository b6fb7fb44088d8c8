#!/bin/bash
# Captures real goroutine dumps from a private containerd 1.6.20 (and one of its shims) started
# as this script's own child, in its own temp root/state/socket dirs. Never touches
# /run/containerd. Run as root from anywhere:
#   bash testdata/captures/goroutines/1.6.20/capture.sh
# It writes, next to itself:
#   debug-socket/goroutines.txt      GET /debug/pprof/goroutine?debug=2 on the [debug] socket
#   sigusr1/containerd.stacks.log    the file containerd writes to $TMPDIR on SIGUSR1
#   sigusr1/containerd.log           containerd's own log line for that dump (logfmt, escaped)
#   shim-sigusr1/containerd.log      the shim's SIGUSR1 dump as containerd copied it to its log
#   start-hang/goroutines.txt        containerd's goroutines while a Tasks.Start call hangs
#                                    (runc init SIGSTOPped by a runc wrapper before `runc start`)
# Sanitised: the temp dir is rewritten to /tmp/ctrdoc-capture; nothing else is node-specific.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/ctrdoc-gcap.XXXXXX)
SOCK=$T/containerd.sock
DBG=$T/debug.sock
NS=k8s.io
CPID=
HANG_CTR=
say() { echo "capture: $*" >&2; }
sanitise() { sed -e "s#$T#/tmp/ctrdoc-capture#g"; }
CTR=(ctr -a "$SOCK" -n "$NS")
RUNC_ROOT=$T/runc   # our own runc state root and FIFO dir: never /run/containerd
RUN=(run -d --runc-root "$RUNC_ROOT" --fifo-dir "$T/fifo")

cleanup() {
  set +e
  [ -n "$HANG_CTR" ] && kill -KILL "$HANG_CTR" 2>/dev/null && wait "$HANG_CTR" 2>/dev/null
  if [ -n "$CPID" ]; then
    for id in sleeper hanger; do
      pid=$(runc --root "$RUNC_ROOT/$NS" state "$id" 2>/dev/null | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
      [ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null
      timeout 10 "${CTR[@]}" task kill -s SIGKILL "$id" >/dev/null 2>&1
      sleep 0.3
      timeout 10 "${CTR[@]}" task rm -f "$id" >/dev/null 2>&1
      timeout 10 "${CTR[@]}" c rm "$id" >/dev/null 2>&1
    done
    # shims started by our containerd (their command line names our socket), by pid
    for p in /proc/[0-9]*; do
      c=$( { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null)
      case "$c" in *containerd-shim*"$SOCK"*) kill -KILL "${p#/proc/}" 2>/dev/null;; esac
    done
    kill -TERM "$CPID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$CPID" 2>/dev/null
    wait "$CPID" 2>/dev/null
  fi
  grep " $T/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/root" "$T/state" "$T/tmp" "$T/rootfs/bin"
cp /bin/busybox "$T/rootfs/bin/busybox"
for a in sh sleep; do ln -s busybox "$T/rootfs/bin/$a"; done
cat > "$T/config.toml" <<CFG
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = "$DBG"
  level = "debug"
[plugins."io.containerd.runtime.v2.task"]
  # runc state root under our own state dir
[plugins."io.containerd.service.v1.tasks-service"]
CFG
# A runc wrapper that SIGSTOPs the parked `runc init` right before `runc start`, so Start hangs.
cat > "$T/runc-stop-init" <<'WRAP'
#!/bin/sh
for a in "$@"; do last=$a; done
case " $* " in
  *" start "*)
    root=$(echo "$*" | sed -n 's/.*--root \([^ ]*\).*/\1/p')
    pid=$(/usr/sbin/runc --root "$root" state "$last" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
    [ -n "$pid" ] && kill -STOP "$pid"
    ;;
esac
exec /usr/sbin/runc "$@"
WRAP
chmod +x "$T/runc-stop-init"

TMPDIR=$T/tmp containerd --config "$T/config.toml" > "$T/containerd.log" 2>&1 &
CPID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && [ -S "$DBG" ] && break; sleep 0.1; done
[ -S "$DBG" ] || { say "containerd did not start"; cat "$T/containerd.log" >&2; exit 1; }
say "containerd pid $CPID in $T"

"${CTR[@]}" "${RUN[@]}" --rootfs "$T/rootfs" sleeper /bin/sh -c 'sleep 1000'
sleep 1

mkdir -p "$HERE/debug-socket" "$HERE/sigusr1" "$HERE/shim-sigusr1" "$HERE/start-hang"
curl -sS --max-time 5 --unix-socket "$DBG" 'http://localhost/debug/pprof/goroutine?debug=2' | sanitise > "$HERE/debug-socket/goroutines.txt"
say "debug socket: $(grep -c '^goroutine ' "$HERE/debug-socket/goroutines.txt") goroutines"

kill -USR1 "$CPID"
for _ in $(seq 50); do [ -s "$T/tmp/containerd.$CPID.stacks.log" ] && break; sleep 0.1; done
sleep 0.5
sanitise < "$T/tmp/containerd.$CPID.stacks.log" > "$HERE/sigusr1/containerd.stacks.log"
grep -a 'BEGIN goroutine stack dump' "$T/containerd.log" | grep -av 'pid=' | sed -e "s#containerd\.$CPID\.#containerd.PID.#g" | sanitise > "$HERE/sigusr1/containerd.log"
say "sigusr1: $(grep -c '^goroutine ' "$HERE/sigusr1/containerd.stacks.log") goroutines"

SHIM=$(for p in /proc/[0-9]*; do
  c=$( { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null || true)
  case "$c" in *containerd-shim-runc-v2*"-id sleeper"*"$SOCK"*) echo "${p#/proc/}";; esac
done | head -1)
say "shim pid $SHIM"
kill -USR1 "$SHIM"
for _ in $(seq 50); do grep -aq "END goroutine stack dump.*pid=$SHIM" "$T/containerd.log" && break; sleep 0.1; done
grep -a "goroutine stack dump.*pid=$SHIM" "$T/containerd.log" | sed -e "s#pid=$SHIM#pid=4242#g" | sanitise > "$HERE/shim-sigusr1/containerd.log"
say "shim dump: $(wc -c < "$HERE/shim-sigusr1/containerd.log") bytes"

# Start hang: the wrapper stops runc init, `runc start` blocks on exec.fifo, the shim's Start
# never answers, containerd's Tasks.Start waits on the shim.
"${CTR[@]}" "${RUN[@]}" --runc-binary "$T/runc-stop-init" --rootfs "$T/rootfs" hanger /bin/sh -c 'sleep 1000' &
HANG_CTR=$!
# Go prints "N minutes" only for goroutines that were already blocked at a GC (waitsince is
# stamped by the GC), so force one right after Start blocks: pprof's heap handler with gc=1.
sleep 3
curl -sS --max-time 5 --unix-socket "$DBG" 'http://localhost/debug/pprof/heap?gc=1' > /dev/null
WAIT=${CAPTURE_HANG_SECONDS:-65}
say "waiting ${WAIT}s for Start to hang long enough to show wait minutes"
sleep "$WAIT"
curl -sS --max-time 5 --unix-socket "$DBG" 'http://localhost/debug/pprof/goroutine?debug=2' | sanitise > "$HERE/start-hang/goroutines.txt"
say "start hang: $(grep -c '^goroutine ' "$HERE/start-hang/goroutines.txt") goroutines"
say done
