#!/bin/sh
# Captures runc 1.1.5 state dirs and /proc of a real container in each runc status, as root.
# Sanitised: state.json keeps id, init_process_pid/start, created, rootless, cgroup_paths,
# namespace_paths and config.{rootfs,labels} (the mounts, devices, seccomp etc. are dropped to
# keep the capture small); paths live under /tmp/rx. Usage: sh capture.sh OUTDIR PROCOUT
set -e
OUT=${1:-.}; PROCOUT=${2:-../../proc/6.18.44}
T=/tmp/rx; rm -rf $T; mkdir -p $T/b/rootfs/bin $T/root
cp /usr/bin/busybox $T/b/rootfs/bin/; for x in sh sleep; do ln -s busybox $T/b/rootfs/bin/$x; done
(cd $T/b && runc spec)
python3 - <<'PY'
import json
p='/tmp/rx/b/config.json'; c=json.load(open(p)); c['process']['args']=['sleep','1000']; c['process']['terminal']=False
c['annotations']={'io.kubernetes.cri.container-type':'container','io.kubernetes.cri.container-name':'app','io.kubernetes.cri.sandbox-id':'sb1','io.kubernetes.cri.sandbox-name':'web-0','io.kubernetes.cri.sandbox-namespace':'default'}
json.dump(c,open(p,'w'),indent=1)
PY
sanitise() { python3 -c "
import json,sys; s=json.load(open(sys.argv[1]))
s['config']={k:s['config'][k] for k in ('rootfs','labels')}
print(json.dumps(s,indent=1))" "$1"; }
snapproc() { # pid name
  d=$PROCOUT/$2; mkdir -p $d
  for f in stat status cmdline cgroup wchan stack; do cat /proc/$1/$f > $d/$f 2>/dev/null || true; done
  ls -l /proc/$1/fd | sed 1d | awk '{print $9, $11}' > $d/fd.txt
  for n in pid mnt net; do readlink /proc/$1/ns/$n; done > $d/ns.txt
}
runc --root $T/root create --bundle $T/b created1 </dev/null >$T/out 2>&1
mkdir -p $OUT/created/created1; sanitise $T/root/created1/state.json > $OUT/created/created1/state.json; : > $OUT/created/created1/exec.fifo  # a regular empty file stands for the FIFO
snapproc $(runc --root $T/root state created1 | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])') runc-init-parked
runc --root $T/root create --bundle $T/b running1 </dev/null >$T/out 2>&1
runc --root $T/root start running1
mkdir -p $OUT/running/running1; sanitise $T/root/running1/state.json > $OUT/running/running1/state.json
P=$(runc --root $T/root state running1 | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])')
snapproc $P container-sleep
kill -9 $P; sleep 0.3
snapproc $P zombie || true
runc --root $T/root list > $OUT/runc-list.txt
runc --root $T/root delete --force created1; runc --root $T/root delete --force running1
